"""Estimated speaker labels and genders from simple voice features, for sources that do not say who speaks.

Features per clip: the median pitch (autocorrelation, 60-400 Hz, over voiced 40 ms frames) and the mean and standard
deviation of 13 MFCCs (25 ms frames, 26 mel bands). Clips are grouped with k-means (scipy) on the standardised
features. These labels are estimates: one cluster can hold several actors and one actor can land in two clusters.
Gender estimate: median pitch below 165 Hz -> "m", else "f" (adult speech; typical male ~85-180 Hz, female ~165-255 Hz).
"""
from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.fft import dct

MALE_BELOW_HZ = 165.0


def frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """(n_frames, size) view-copy of ``x``; empty when ``x`` is shorter than one frame."""
    n = 1 + (x.shape[0] - size) // hop if x.shape[0] >= size else 0
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return x[idx] if n else np.zeros((0, size), x.dtype)


def median_pitch(x: np.ndarray, sr: int, low: float = 60.0, high: float = 400.0) -> float:
    """Median F0 in Hz over voiced frames (normalised autocorrelation peak > 0.5); NaN when nothing is voiced."""
    f = frames(x.astype(np.float64), int(0.04 * sr), int(0.01 * sr))
    if not len(f):
        return float("nan")
    f = f - f.mean(1, keepdims=True)
    energy = np.square(f).sum(1)
    f = f[energy > energy.max() * 0.01]
    spec = np.fft.rfft(f, 2 * f.shape[1])
    ac = np.fft.irfft(np.abs(spec) ** 2)[:, :f.shape[1]]
    lo, hi = int(sr / high), min(int(sr / low), f.shape[1] - 1)
    lag = lo + ac[:, lo:hi].argmax(1)
    strength = ac[np.arange(len(f)), lag] / np.maximum(ac[:, 0], 1e-12)
    voiced = lag[strength > 0.5]
    return float(np.median(sr / voiced)) if voiced.size else float("nan")


def mel_filterbank(sr: int, n_fft: int, n_mels: int = 26) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters on the HTK mel scale, mel = 2595 log10(1 + f / 700)."""
    mel = np.linspace(0, 2595 * np.log10(1 + sr / 2 / 700), n_mels + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    bins = np.fft.rfftfreq(n_fft, 1 / sr)
    lower, centre, upper = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    return np.maximum(0, np.minimum((bins - lower) / (centre - lower), (upper - bins) / (upper - centre)))


def mfcc(x: np.ndarray, sr: int, n: int = 13) -> np.ndarray:
    """(frames, n) MFCCs of ``x`` (Hamming-windowed 25 ms frames, 10 ms hop, log mel energies, DCT-II)."""
    f = frames(x.astype(np.float64), int(0.025 * sr), int(0.01 * sr))
    n_fft = 1 << int(np.ceil(np.log2(max(f.shape[1], 2))))
    power = np.abs(np.fft.rfft(f * np.hamming(f.shape[1]), n_fft)) ** 2
    return dct(np.log(power @ mel_filterbank(sr, n_fft).T + 1e-10), norm="ortho")[:, :n]


def voice_features(x: np.ndarray, sr: int) -> np.ndarray:
    """(27,) clip features: log median pitch (0 when unvoiced), then MFCC means and standard deviations."""
    c = mfcc(x, sr)
    pitch = median_pitch(x, sr)
    if not len(c):
        c = np.zeros((1, 13))
    return np.concatenate([[np.log(pitch) if np.isfinite(pitch) else 0.0], c.mean(0), c.std(0)])


def cluster_voices(features: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """(n,) cluster index per clip: k-means++ on standardised features, renumbered by cluster size (0 = largest)."""
    z = (features - features.mean(0)) / (features.std(0) + 1e-9)
    _, labels = kmeans2(z, k, minit="++", seed=seed)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    return np.argsort(order)[labels]


def gender_from_pitch(pitch_hz: float) -> str:
    """"m" below 165 Hz, "f" at or above, "u" when the pitch is unknown."""
    if not np.isfinite(pitch_hz):
        return "u"
    return "m" if pitch_hz < MALE_BELOW_HZ else "f"
