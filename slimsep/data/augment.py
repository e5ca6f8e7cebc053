"""Augmentation of the talkers in a training mixture: new voices and levels from the same recordings.

With a handful of voices, a separator learns those voices instead of separation. Playing each talker slightly
faster or slower (resampled with soxr, so pitch and formants move together, as in SpeechBrain's speed perturbation
for wsj0-2mix) turns each voice into a family of nearby ones at no cost in data; a pitch shift (phase vocoder +
soxr) does the same at the talker's own speaking rate. Per-talker gains widen the talkers' relative levels beyond
the 0-5 dB of wsj0-2mix, and one gain on the whole mixture shows the model random input levels.
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


def drop_talker(signals: dict[str, np.ndarray], talker: int) -> dict[str, np.ndarray]:
    """The mixture with talker ``talker`` (0 or 1) absent: its reference all zeros, the mixtures summed without it.

    A lone talker must come out in one output; PIT SI-SDR cannot ask for that (it is undefined for a silent
    reference), so these items pair with the silent-output score of :func:`slimsep.losses.sisdr.pit_si_sdr`.
    """
    s1, s2 = signals["s1"], signals["s2"]
    return mixtures(np.zeros_like(s1) if talker == 0 else s1, np.zeros_like(s2) if talker == 1 else s2,
                    signals["noise"])


def check_share(value: object, name: str) -> float:
    """``value`` as a share in [0, 1); SlimsepError naming ``name`` otherwise (1 would leave no two-talker item)."""
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        share = float("nan")
    if not 0.0 <= share < 1.0:
        raise SlimsepError(f"{name} must be a share in [0, 1), got {value!r}")
    return share


def check_range(value: object, name: str, low: float, high: float) -> tuple[float, float] | None:
    """``value`` as a (lo, hi) pair with ``low <= lo <= hi <= high``, or None; SlimsepError naming ``name``."""
    if value is None:
        return None
    problem = SlimsepError(f"{name} must be [low, high] with {low:g} <= low <= high <= {high:g}, got {value!r}")
    try:
        lo, hi = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise problem from None
    if not low <= lo <= hi <= high:
        raise problem
    return lo, hi


def time_stretch(x: np.ndarray, rate: float, n_fft: int = 256, hop: int = 64) -> np.ndarray:
    """``x`` played ``rate`` times faster at the same pitch: a phase vocoder (Laroche & Dolson 1999; the method of
    ``librosa.effects.time_stretch``) on torch's STFT. Output length round(len(x) / rate)."""
    import torch

    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(torch.from_numpy(x.astype(np.float64)), n_fft, hop, window=window, return_complex=True)
    spec = torch.nn.functional.pad(spec, (0, 2))  # (bins, frames + 2): the last step may read one frame past the end
    steps = torch.arange(0, spec.shape[1] - 2, rate, dtype=torch.float64)
    left = steps.long()
    alpha = (steps - left)[None]
    mag = (1 - alpha) * spec[:, left].abs() + alpha * spec[:, left + 1].abs()
    advance = torch.linspace(0, np.pi * hop, spec.shape[0], dtype=torch.float64)[:, None]
    dphase = spec[:, left + 1].angle() - spec[:, left].angle() - advance
    dphase = dphase - 2 * np.pi * torch.round(dphase / (2 * np.pi))
    step = advance + dphase  # phase advance from each output frame to the next
    phase = spec[:, :1].angle() + torch.cumsum(step, 1) - step  # accumulated before each frame
    out = torch.istft(torch.polar(mag, phase), n_fft, hop, window=window, length=int(round(x.shape[0] / rate)))
    return out.numpy().astype(np.float32)


def pitch_shift(x: np.ndarray, semitones: float, sample_rate: int) -> np.ndarray:
    """``x`` with pitch and formants moved by ``semitones`` at the same duration and RMS: stretched by the phase
    vocoder, then resampled with soxr back to the original length (librosa's pitch_shift recipe). The RMS is set
    back because the vocoder's phases lose some coherence across bins (some energy cancels)."""
    if semitones == 0:
        return x
    rate = 2.0 ** (-semitones / 12)
    y = fit_length(resample(time_stretch(x, rate), sample_rate / rate, sample_rate), x.shape[0])
    rms_in, rms_out = float(np.sqrt(np.mean(np.square(x)))), float(np.sqrt(np.mean(np.square(y))))
    return (y * (rms_in / rms_out) if rms_out > 1e-9 else y).astype(np.float32)


def shift_talkers(signals: dict[str, np.ndarray], semitones: tuple[float, float],
                  sample_rate: int) -> dict[str, np.ndarray]:
    """Each talker pitch-shifted by its own amount; mixtures summed again (noise unchanged)."""
    s1, s2 = (pitch_shift(signals[k], st, sample_rate) for k, st in zip(("s1", "s2"), semitones))
    return mixtures(s1, s2, signals["noise"])


def gain_talkers(signals: dict[str, np.ndarray], gains_db: tuple[float, float]) -> dict[str, np.ndarray]:
    """Each talker scaled by its own gain in dB; mixtures summed again (noise unchanged)."""
    s1, s2 = (signals[k] * np.float32(10 ** (g / 20)) for k, g in zip(("s1", "s2"), gains_db))
    return mixtures(s1, s2, signals["noise"])


def gain_mixture(signals: dict[str, np.ndarray], gain_db: float) -> dict[str, np.ndarray]:
    """Every signal scaled by one gain: the input level changes, the targets keep their share of it."""
    g = np.float32(10 ** (gain_db / 20))
    return {k: v * g for k, v in signals.items()}
