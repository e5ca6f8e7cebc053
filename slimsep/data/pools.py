"""The utterance pools of an open-corpus root and the draw of two-talker pairs from them.

``<root>/manifest.csv`` (written by ``slimsep data open-corpus``, or by ``simulate_from_lists`` from a user's own
lists) has one row per file: ``path`` (relative to the root, or absolute), ``speaker`` (empty for noise), ``split``
and ``samples``. Simulated test conditions (:mod:`slimsep.data.conditions`) and on-the-fly training mixtures
(:mod:`slimsep.data.dynamic_mix`) both draw their pairs here, so they meet talkers the same way.
"""
from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np

from slimsep.audio import read_audio
from slimsep.data.simulator import MixtureRecipe, draw_recipe
from slimsep.errors import AudioError, SlimsepError

WEIGHTINGS = ("duration", "uniform")


def speaker_probabilities(speakers: dict[str, list[tuple[str, int]]], weighting: str) -> np.ndarray | None:
    """Draw probabilities of the speakers in sorted-name order (None: uniform)."""
    if weighting not in WEIGHTINGS:
        raise SlimsepError(f"unknown speaker_weighting {weighting!r}; choose from {', '.join(WEIGHTINGS)}")
    if weighting == "uniform":
        return None
    seconds = np.array([sum(n for _, n in speakers[name]) for name in sorted(speakers)], dtype=np.float64)
    return seconds / seconds.sum()


def audio_loader(root: Path):  # noqa: ANN201 (returns a cached path -> float32 array reader)
    """Read files relative to ``root`` (absolute paths as given), caching the last few hundred."""
    @functools.lru_cache(maxsize=512)
    def load(path: str) -> np.ndarray:
        full = Path(path) if Path(path).is_absolute() else root / path
        return read_audio(full, max_channels=1)[0][0]
    return load


def speaker_pools(root: Path, split: str) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]]]:
    """Utterances per speaker and noise files of a split, with their lengths, from ``manifest.csv``."""
    if not (root / "manifest.csv").is_file():
        raise SlimsepError(f"{root}: no manifest.csv; build the corpus with `slimsep data open-corpus -o {root}`")
    speakers: dict[str, list[tuple[str, int]]] = {}
    noises = []
    with open(root / "manifest.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["split"] != split:
                continue
            entry = (row["path"], int(row["samples"]))  # paths relative to root, or absolute
            (speakers.setdefault(row["speaker"], []) if row["speaker"] else noises).append(entry)
    if len(speakers) < 2:
        raise SlimsepError(f"{root}: split {split!r} has {len(speakers)} speaker(s); two-talker mixtures need two")
    return speakers, noises


def check_pool_files(root: Path, entries: list[tuple[str, int]], sample_rate: int) -> None:
    """Every listed file exists, is at ``sample_rate`` and holds at least the samples the manifest lists (headers
    only: seconds for the open corpus), so a missing, resampled or cut-short source is one line before the first
    step, not a failure at a random step of a long run: mixtures are drawn from the manifest's lengths."""
    from slimsep.audio import audio_info, check_file

    manifest = root / "manifest.csv"
    for path, listed in entries:
        full = Path(path) if Path(path).is_absolute() else root / path
        info = audio_info(check_file(full))
        if info.samplerate != sample_rate:
            raise AudioError(full, f"sample rate is {info.samplerate} Hz, the training data must be at {sample_rate} "
                                   f"Hz (listed in {manifest})")
        if info.frames < listed:
            raise AudioError(full, f"holds {info.frames} samples, but {manifest} lists {listed}; the file was cut "
                                   "short or replaced: restore it, or rebuild the manifest")


def draw_pair_recipe(rng: np.random.Generator, mixture_id: str, speakers: dict, noises: list, load,  # noqa: ANN001
                     overlap: float, activity: float, max_length: int | None = None,
                     speaker_p: np.ndarray | None = None) -> MixtureRecipe:
    """Two different speakers, one utterance each, and (if ``activity``) one noise file.

    ``speaker_p``: probabilities of the speakers in sorted-name order (None: all equally likely).
    """
    names = sorted(speakers)
    a, b = rng.choice(len(names), size=2, replace=False, p=speaker_p)
    (p1, n1), (p2, n2) = (speakers[names[a]][rng.integers(len(speakers[names[a]]))],
                          speakers[names[b]][rng.integers(len(speakers[names[b]]))])
    noise, noise_len = ("", 0)
    if activity > 0 and noises:
        noise, noise_len = noises[rng.integers(len(noises))]
    return draw_recipe(rng, mixture_id, (p1, p2), (n1, n2), overlap, activity, load, noise, noise_len, max_length)
