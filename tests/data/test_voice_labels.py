"""Voice features behind the estimated labels: pitch, MFCCs, k-means voices, gender from pitch."""
from __future__ import annotations

import numpy as np

from slimsep.data import voice_labels as vl


def voiced(f0: float, seconds: float = 1.0, sr: int = 8000, bright: float = 0.5, seed: int = 0) -> np.ndarray:
    """A harmonic tone (10 partials decaying by ``bright``) with a little noise: a crude vowel at pitch ``f0``."""
    t = np.arange(int(seconds * sr)) / sr
    x = sum(bright ** k * np.sin(2 * np.pi * f0 * (k + 1) * t) for k in range(10))
    return (0.2 * x + 0.005 * np.random.default_rng(seed).standard_normal(t.size)).astype(np.float32)


def test_median_pitch_finds_the_fundamental() -> None:
    for f0 in (100.0, 140.0, 220.0):
        assert abs(vl.median_pitch(voiced(f0), 8000) - f0) < 0.05 * f0
    assert np.isnan(vl.median_pitch(np.zeros(100, np.float32), 8000))


def test_gender_from_pitch() -> None:
    assert vl.gender_from_pitch(110.0) == "m" and vl.gender_from_pitch(210.0) == "f"
    assert vl.gender_from_pitch(float("nan")) == "u"


def test_mfcc_shape_and_features() -> None:
    assert vl.mfcc(voiced(120.0), 8000).shape == (98, 13)
    assert vl.voice_features(voiced(120.0), 8000).shape == (27,)
    assert vl.voice_features(np.zeros(50, np.float32), 8000).shape == (27,)  # shorter than a frame: no crash


def test_clusters_separate_two_voices() -> None:
    low = [vl.voice_features(voiced(100 + 3 * i, bright=0.7, seed=i), 8000) for i in range(8)]
    high = [vl.voice_features(voiced(230 + 3 * i, bright=0.3, seed=i), 8000) for i in range(8)]
    labels = vl.cluster_voices(np.stack(low + high), 2)
    assert len(set(labels[:8])) == 1 and len(set(labels[8:])) == 1 and labels[0] != labels[8]
