"""The evaluation conditions of the DSN paper (speaker overlap x noise activity), as simulated folders.

``<root>/<split>/ov{100,50,25}_na{0,50,100}/{mix_clean,mix_both,s1,s2,noise}/<id>.wav`` plus ``metadata.csv``
holding each mixture's :class:`MixtureRecipe`, from which :func:`rebuild_condition` re-renders it bit-exactly.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from slimsep.atomic import write_text_atomic
from slimsep.audio import audio_info, write_audio
from slimsep.data.folders import WavFolderDataset, task_mixture
from slimsep.data.pools import audio_loader, draw_pair_recipe, speaker_pools
from slimsep.data.simulator import MixtureRecipe, render
from slimsep.errors import SlimsepError

CONDITIONS = [(o, a) for o in (1.0, 0.5, 0.25) for a in (0.0, 0.5, 1.0)]
OUTPUTS = ("mix_clean", "mix_both", "s1", "s2", "noise")


def condition_name(overlap: float, activity: float) -> str:
    return f"ov{round(overlap * 100)}_na{round(activity * 100)}"


def parse_condition(name: str) -> tuple[float, float] | None:
    """``ov50_na100`` -> (0.5, 1.0); None for other folder names."""
    try:
        ov, na = name.split("_")
        if ov.startswith("ov") and na.startswith("na"):
            return int(ov[2:]) / 100, int(na[2:]) / 100
    except ValueError:
        pass
    return None


def condition_order(name: str) -> tuple:
    """Sort key of condition names by value, not as strings: overlap from most to least, then noise activity
    from none up (``ov100_na50`` before ``ov100_na100``); other names after them, alphabetically."""
    parsed = parse_condition(name)
    return (0, -parsed[0], parsed[1], "") if parsed else (1, 0.0, 0.0, name)


def noise_split(split: str) -> str:
    """The split whose noise clips a held-out split's mixtures use: ``valid_read`` -> ``valid``, ``test_read`` ->
    ``test`` (the voices folder brings speech only); anything else but ``valid`` -> ``test``."""
    return "valid" if split.startswith("valid") else "test"


def write_condition(root: Path, split: str, overlap: float, activity: float, count: int, seed: int,
                    sample_rate: int = 8000) -> str:
    """Simulate ``count`` mixtures of one condition into ``<root>/<split>/<name>/``."""
    name = condition_name(overlap, activity)
    folder = root / split / name
    speakers, _ = speaker_pools(root, split)
    _, noises = speaker_pools(root, noise_split(split))
    load = audio_loader(root)
    rng = np.random.default_rng(seed)
    recipes = [draw_pair_recipe(rng, f"{name}_{i:04d}", speakers, noises, load, overlap, activity)
               for i in range(count)]
    _render_all(recipes, load, folder, sample_rate)
    _write_metadata(folder / "metadata.csv", recipes)
    return name


def _render_all(recipes: list[MixtureRecipe], load, folder: Path, sample_rate: int = 8000) -> None:  # noqa: ANN001
    for kind in OUTPUTS:
        (folder / kind).mkdir(parents=True, exist_ok=True)
    for recipe in recipes:
        for kind, signal in render(recipe, load).items():
            write_audio(folder / kind / f"{recipe.mixture_id}.wav", signal, sample_rate)


def _write_metadata(path: Path, recipes: list[MixtureRecipe]) -> None:
    buffer = io.StringIO()
    rows = [r.to_row() for r in recipes]
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())


def read_metadata(folder: Path) -> list[MixtureRecipe]:
    with open(folder / "metadata.csv", newline="") as f:
        return [MixtureRecipe.from_row(row) for row in csv.DictReader(f)]


def rebuild_condition(corpus_root: Path, folder: Path, out: Path) -> int:
    """Re-render every mixture of ``folder`` from its metadata into ``out``; returns how many."""
    load = audio_loader(corpus_root)
    recipes = read_metadata(folder)
    rate = audio_info(next((folder / "mix_clean").glob("*.wav"))).samplerate
    _render_all(recipes, load, out, rate)
    return len(recipes)


class ConditionDataset(WavFolderDataset):
    """One simulated condition folder; ``item_info`` adds the overlap ratio and noise activity."""

    def __init__(self, folder: str | Path, task: str = "sep_clean", sample_rate: int = 8000) -> None:
        folder = Path(folder)
        super().__init__(folder / task_mixture(task), [folder / "s1", folder / "s2"], sample_rate)
        self.folder = folder
        self.condition = parse_condition(folder.name)

    def item_info(self, index: int) -> dict:
        info = super().item_info(index)
        if self.condition:
            info["overlap"], info["noise_activity"] = self.condition
        info["condition"] = self.folder.name
        return info


def find_conditions(root: str | Path, task: str = "sep_clean", split: str = "test",
                    sample_rate: int = 8000) -> dict[str, ConditionDataset]:
    """Condition name -> dataset for every ``ov*_na*`` folder under ``root/<split>`` (or ``root`` itself)."""
    root = Path(root)
    base = root / split if (root / split).is_dir() else root
    if not base.is_dir():
        raise SlimsepError(f"{root}: folder not found")
    found = {p.name: ConditionDataset(p, task, sample_rate) for p in sorted(base.iterdir(), key=lambda p:
                                                                             condition_order(p.name))
             if p.is_dir() and parse_condition(p.name)}
    if not found:
        splits = [] if base != root else [p.name for p in sorted(root.iterdir()) if p.is_dir()
                                          and any(parse_condition(c.name) for c in p.iterdir() if c.is_dir())]
        if splits:
            raise SlimsepError(f"{root}: no split folder '{split}' (found: {', '.join(splits)})")
        raise SlimsepError(f"{base}: no condition folders (ov<overlap>_na<noise activity>) found")
    return found



def simulate_from_lists(sources_csv: Path, noise_list: Path | None, out: Path, count: int, seed: int = 0,
                        sample_rate: int = 8000, conditions: list[tuple[float, float]] | None = None) -> list[str]:
    """The paper's overlap x noise-activity conditions from a user's own utterances (e.g. WSJ0 or LibriSpeech).

    ``sources_csv`` has columns ``path,speaker`` (paths absolute or relative to the CSV); ``noise_list`` one noise
    file per line. Every file must already be at ``sample_rate`` (nothing is resampled silently).
    """
    rows = ["path,speaker,gender,language,split,samples,seconds"]
    with open(sources_csv, newline="") as f:
        entries = [(r["path"], r["speaker"]) for r in csv.DictReader(f)]
    noises = [line.strip() for line in noise_list.read_text().splitlines() if line.strip()] if noise_list else []
    for path, speaker in entries + [(n, "") for n in noises]:
        full = Path(path) if Path(path).is_absolute() else (sources_csv.parent / path).resolve()
        info = audio_info(full)
        if info.samplerate != sample_rate:
            raise SlimsepError(f"{full}: sample rate is {info.samplerate} Hz, expected {sample_rate} Hz")
        rows.append(f"{full},{speaker},,,test,{info.frames},{info.frames / sample_rate:.3f}")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "manifest.csv", "\n".join(rows) + "\n")
    return [write_condition(out, "test", o, a, count, seed * 1000 + k, sample_rate)
            for k, (o, a) in enumerate(conditions or CONDITIONS) if a == 0 or noises]
