"""Window planning and stitching: full coverage, and speaker order kept across window borders."""
from __future__ import annotations

import numpy as np
import pytest

from slimsep.errors import SlimsepError
from slimsep.inference.stitching import Stitcher, plan_windows


@pytest.mark.parametrize("n", [100, 1000, 1234, 5000])
def test_windows_cover_the_input(n: int) -> None:
    windows = plan_windows(n, window=400, overlap=100)
    assert windows[0].start == 0 and windows[-1].end == n
    for prev, cur in zip(windows, windows[1:]):
        assert cur.overlap_before == prev.end - cur.start > 0


def test_stitching_undoes_random_output_order() -> None:
    """Each window's separator returns the two known talkers in a random order; the stitched output must not."""
    rng = np.random.default_rng(0)
    n = 8000
    t = np.arange(n) / 8000
    talkers = np.stack([np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(3 * t)),
                        np.sign(np.sin(2 * np.pi * 97 * t)) * 0.5]).astype(np.float32)
    windows = plan_windows(n, window=1500, overlap=400)
    stitcher, parts = Stitcher(), []
    for i, w in enumerate(windows):
        est = talkers[:, w.start:w.end]
        if rng.random() < 0.5:
            est = est[::-1]
        after = windows[i + 1].overlap_before if i + 1 < len(windows) else 0
        parts.append(stitcher.push(est, w.overlap_before, after))
    out = np.concatenate(parts, axis=1)
    if np.dot(out[0, :1000], talkers[0, :1000]) < 0 or np.allclose(out[0, :200], talkers[1, :200]):
        out = out[::-1]  # the first window fixes the order; compare up to that global choice
    np.testing.assert_allclose(out, talkers, atol=1e-5)


def test_stitching_follows_swapped_and_negated_sources() -> None:
    """Two windows sharing 8000 samples; the second returns the talkers swapped and sign-inverted (SI-SDR allows
    both). One talker per output across the border, and no cancellation in the cross-fade."""
    rng = np.random.default_rng(1)
    talkers = rng.standard_normal((2, 24000)).astype(np.float32) * np.array([[1.0], [0.5]], np.float32)
    stitcher = Stitcher()
    first = stitcher.push(talkers[:, :16000], 0, 8000)
    second = stitcher.push(-talkers[::-1, 8000:], 8000, 0)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), talkers, atol=1e-5)


def test_louder_estimate_decides_the_order_when_one_talker_is_alone() -> None:
    """Only talker A in the overlap: the network splits it 90/10 between its outputs, in another order in the next
    window. Normalised correlation cannot tell the two apart (both ~1); the louder part must stay on output 1."""
    a = np.random.default_rng(2).standard_normal(4000).astype(np.float32)
    residual = np.random.default_rng(3).standard_normal(4000).astype(np.float32) * 0.01
    stitcher = Stitcher()
    stitcher.push(np.stack([0.9 * a, 0.1 * a + residual])[:, :3000], 0, 1000)
    out = stitcher.push(np.stack([0.1 * a[2000:] - residual[2000:], 0.9 * a[2000:]]), 1000, 0)
    assert corr_energy(out[0], a[2000:]) > 0.8


def corr_energy(est: np.ndarray, ref: np.ndarray) -> float:
    """Share of ``ref``'s energy that ``est`` carries, signed: <est, ref> / <ref, ref>."""
    return float(np.dot(est, ref) / np.dot(ref, ref))


@pytest.mark.parametrize("seconds", [10.5, 12.8, 19.9, 36.0, 600.0])
def test_windows_share_exactly_the_asked_overlap(seconds: float) -> None:
    """12.8 s used to become two 10 s windows sharing 7.2 s; every border now shares the documented 2 s."""
    sr = 8000
    windows = plan_windows(int(seconds * sr), window=10 * sr, overlap=2 * sr)
    assert windows[0].start == 0 and windows[-1].end == int(seconds * sr)
    assert all(w.end - w.start <= 10 * sr for w in windows)
    for prev, cur in zip(windows, windows[1:]):
        assert cur.overlap_before == prev.end - cur.start == 2 * sr
    assert len(windows) == -(-(int(seconds * sr) - 2 * sr) // (8 * sr))  # no more windows than needed


@pytest.mark.parametrize("overlap", [-1, 400, 500])
def test_overlap_must_be_shorter_than_the_window(overlap: int) -> None:
    with pytest.raises(SlimsepError, match="overlap"):
        plan_windows(1000, window=400, overlap=overlap)
