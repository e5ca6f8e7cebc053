"""Speed perturbation of the talkers in a training mixture: new pitches and speaking rates from the same voices.

With a handful of voices, a separator learns those voices instead of separation. Playing each talker slightly
faster or slower (resampled with soxr, so pitch and formants move together, as in SpeechBrain's speed perturbation
for wsj0-2mix) turns each voice into a family of nearby ones at no cost in data.
"""
from __future__ import annotations

import numpy as np

from slimsep.audio import fit_length, resample
from slimsep.data.simulator import mixtures
from slimsep.errors import SlimsepError


def check_speed_range(speed_range: tuple[float, float] | None) -> tuple[float, float] | None:
    """A (low, high) range of speed factors around 1, or None for no perturbation."""
    if speed_range is None:
        return None
    problem = SlimsepError(f"speed_range must be [low, high] with 0.5 <= low <= high <= 2, got {speed_range!r}")
    try:
        low, high = (float(v) for v in speed_range)
    except (TypeError, ValueError):
        raise problem from None
    if not 0.5 <= low <= high <= 2.0:
        raise problem
    return low, high


def change_speed(x: np.ndarray, factor: float, sample_rate: int) -> np.ndarray:
    """``x`` played ``factor`` times faster (shorter, higher) at the same sample rate."""
    return resample(x, sample_rate * factor, sample_rate)


def perturb_talkers(signals: dict[str, np.ndarray], factors: tuple[float, float],
                    sample_rate: int) -> dict[str, np.ndarray]:
    """Each talker at its own speed; the mixtures are summed again from the changed talkers (noise unchanged)."""
    length = signals["s1"].shape[0]
    s1, s2 = (fit_length(change_speed(signals[k], f, sample_rate), length) for k, f in zip(("s1", "s2"), factors))
    return mixtures(s1, s2, signals["noise"])
