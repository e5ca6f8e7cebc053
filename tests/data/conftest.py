"""Small fake corpora written into tmp_path: the layouts users have, in seconds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def tone(seconds: float, freq: float, sr: int = 8000, seed: int = 0) -> np.ndarray:
    """A steady tone (no internal pauses), so a signal's support is exactly where it is non-zero."""
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t + seed)).astype(np.float32)


def write(path: Path, audio: np.ndarray, sr: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, sr, subtype="FLOAT")
    return path


def wham_split(base: Path, names: list[str], folders=("mix_clean", "mix_both", "s1", "s2", "noise"),
               sr: int = 8000) -> None:
    for i, name in enumerate(names):
        for folder in folders:
            write(base / folder / name, tone(1.0 + 0.1 * i, 200 + 50 * i, sr), sr)


@pytest.fixture
def mini_open_corpus(tmp_path: Path) -> Path:
    """Three speakers per split plus noise, with a manifest, as `slimsep data open-corpus` lays them out."""
    root = tmp_path / "open"
    rows = ["path,speaker,gender,language,split,samples,seconds"]
    for split in ("train", "valid", "test"):
        for k, spk in enumerate(("a", "b", "c")):
            for u in range(2):
                audio = tone(2.0 + 0.5 * u, 150 + 60 * k + 10 * u, seed=u)
                rel = f"sources/{split}/{spk}/{spk}_{u}.wav"
                write(root / rel, audio)
                rows.append(f"{rel},{spk},f,en,{split},{audio.size},{audio.size / 8000:.3f}")
        noise = np.random.default_rng(1).standard_normal(8000 * 3).astype(np.float32) * 0.1
        write(root / f"noise/{split}/n.wav", noise)
        rows.append(f"noise/{split}/n.wav,,,,{split},{noise.size},{noise.size / 8000:.3f}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root
