"""Levels and trimming shared by every speech source: silence cut at both ends, one active-speech level.

Every clip and utterance of the open corpus is brought to ``LEVEL_DBFS`` whatever level its source recorded at, so
that the simulator's relative gains (not the recordings) set who is louder in a mixture.
"""
from __future__ import annotations

import numpy as np

LEVEL_DBFS = -26.0  # active-speech RMS of every clip and utterance (frames within 40 dB of the loudest 10 ms frame)
PEAK_MAX = 0.95  # an utterance whose peak would pass this is scaled down (it then sits below LEVEL_DBFS)


def trim_silence(audio: np.ndarray, sr: int, threshold_db: float = -40.0, margin: float = 0.05) -> np.ndarray:
    """Cut leading and trailing stretches quieter than ``threshold_db`` below the clip's loudest 10 ms frame."""
    frame = max(1, sr // 100)
    n = audio.shape[0] // frame
    if n == 0:
        return audio[:0]
    energy = np.square(audio[:n * frame].reshape(n, frame)).mean(1)
    active = np.flatnonzero(energy > energy.max() * 10 ** (threshold_db / 10))
    if energy.max() <= 1e-10 or active.size == 0:
        return audio[:0]
    pad = int(margin * sr)
    return audio[max(0, active[0] * frame - pad):min(audio.shape[0], (active[-1] + 1) * frame + pad)]


def active_rms(x: np.ndarray, sr: int, threshold_db: float = -40.0) -> float:
    """RMS over the 10 ms frames within ``threshold_db`` of the loudest one (pauses do not lower the level).

    A simple stand-in for ITU-T P.56 active speech level; 0.0 for silence.
    """
    frame = max(1, sr // 100)
    n = x.shape[0] // frame
    if n == 0:
        return 0.0
    energy = np.square(x[:n * frame].astype(np.float64)).reshape(n, frame).mean(1)
    if energy.max() <= 1e-12:
        return 0.0
    return float(np.sqrt(energy[energy > energy.max() * 10 ** (threshold_db / 10)].mean()))


def normalise_level(x: np.ndarray, sr: int, level_dbfs: float = LEVEL_DBFS) -> np.ndarray:
    """``x`` scaled to an active-speech RMS of ``level_dbfs`` dBFS, then down to a peak of ``PEAK_MAX`` if higher."""
    rms = active_rms(x, sr)
    if rms == 0.0:
        return x.astype(np.float32)
    y = x * (10 ** (level_dbfs / 20) / rms)
    peak = float(np.abs(y).max())
    return (y * (PEAK_MAX / peak) if peak > PEAK_MAX else y).astype(np.float32)
