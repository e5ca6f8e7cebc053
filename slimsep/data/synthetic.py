"""Generated two-talker mixtures for tests, smoke runs and CI.

Real speech is not needed to check that code paths, shapes, losses and gates behave: harmonic "voices" with their own
pitch contours and syllable-like envelopes are separable, and the known activity of each talker lets a test check what
the gate does on silent, single-talker and overlapped stretches. Nothing here is meant to train a usable model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset


@dataclass(frozen=True)
class SyntheticSpec:
    """How the generated mixtures look. ``overlap`` is the fraction of the mixture where both talkers speak."""

    seconds: float = 2.0
    sample_rate: int = 8000
    overlap: float = 1.0
    lead_silence: float = 0.0
    noise_level: float = 0.0


def _voice(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A harmonic tone with a wandering pitch and a syllable-rate amplitude envelope."""
    t = np.arange(n) / sr
    f0 = rng.uniform(90, 260) * (1 + 0.12 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    n_harm = int(min(8, (sr / 2 - 1) // f0.max()))
    amps = rng.uniform(0.3, 1.0, n_harm) / np.arange(1, n_harm + 1)
    wave = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amps))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6))
    return (wave * envelope).astype(np.float32)


def talker_spans(spec: SyntheticSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Sample ranges where each talker is active, so that ``overlap`` of the active part has both.

    Talker 1 starts after ``lead_silence``; with active length A and overlap o, each talker speaks A(1+o)/2 samples,
    so the two overlap on oA samples.
    """
    n = int(round(spec.seconds * spec.sample_rate))
    lead = int(round(spec.lead_silence * spec.sample_rate))
    active = n - lead
    each = int(round(active * (1.0 + spec.overlap) / 2.0))
    return (lead, lead + each), (n - each, n)


def make_example(spec: SyntheticSpec, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One (mixture [T], sources [2, T]) pair; the same seed gives the same signals."""
    rng = np.random.default_rng(seed)
    n = int(round(spec.seconds * spec.sample_rate))
    sources = np.zeros((2, n), dtype=np.float32)
    for k, (start, end) in enumerate(talker_spans(spec)):
        voice = _voice(rng, end - start, spec.sample_rate)
        ramp = np.minimum(1.0, np.minimum(np.arange(end - start), np.arange(end - start)[::-1]) / 80.0)
        sources[k, start:end] = voice * ramp * rng.uniform(0.3, 0.6) / (np.abs(voice).max() + 1e-8)
    mixture = sources.sum(0)
    if spec.noise_level > 0:
        mixture = mixture + spec.noise_level * rng.standard_normal(n).astype(np.float32)
    return torch.from_numpy(mixture.astype(np.float32)), torch.from_numpy(sources)


class SyntheticTwoTalker(Dataset):
    """A fixed-size dataset of generated mixtures; item ``i`` always uses seed ``seed + i``."""

    def __init__(self, n_items: int, spec: SyntheticSpec | None = None, seed: int = 0) -> None:
        self.n_items = n_items
        self.spec = spec or SyntheticSpec()
        self.seed = seed
        self.sample_rate = self.spec.sample_rate

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < self.n_items:
            raise IndexError(index)
        return make_example(self.spec, self.seed + index)

    def item_info(self, index: int) -> dict:
        return {"id": f"synthetic_{self.seed + index:06d}", "overlap": self.spec.overlap,
                "noise_activity": 1.0 if self.spec.noise_level > 0 else 0.0}
