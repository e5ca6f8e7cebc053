"""``slimsep data simulate`` builds the paper's conditions from a user's own utterance list."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.data import find_conditions
from tests.data.conftest import tone, write


def _lists(tmp_path: Path, sr: int) -> tuple[Path, Path]:
    lines = ["path,speaker"]
    for k, spk in enumerate("abc"):
        write(tmp_path / "wsj" / f"{spk}.wav", tone(2.0, 150 + 70 * k, sr), sr)
        lines.append(f"wsj/{spk}.wav,{spk}")
    (tmp_path / "sources.csv").write_text("\n".join(lines) + "\n")
    noise = write(tmp_path / "noise.wav", np.random.default_rng(0).standard_normal(3 * sr).astype(np.float32) * .1, sr)
    (tmp_path / "noise.txt").write_text(f"{noise}\n")
    return tmp_path / "sources.csv", tmp_path / "noise.txt"


def test_simulate_all_conditions_at_16k(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources, noise = _lists(tmp_path, 16000)
    assert main(["data", "simulate", "--sources", str(sources), "--noise", str(noise), "-o", str(tmp_path / "sim"),
                 "-n", "2", "--sample-rate", "16000"]) == 0
    found = find_conditions(tmp_path / "sim", sample_rate=16000)
    assert len(found) == 9 and all(len(d) == 2 for d in found.values())
    assert sf.info(next((tmp_path / "sim/test/ov50_na100/noise").glob("*.wav"))).samplerate == 16000


def test_simulate_refuses_a_wrong_rate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources, _ = _lists(tmp_path, 16000)
    assert main(["data", "simulate", "--sources", str(sources), "-o", str(tmp_path / "sim")]) == 2
    assert "sample rate is 16000 Hz, expected 8000 Hz" in capsys.readouterr().err
