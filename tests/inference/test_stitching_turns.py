"""Issue 45, item 12: a window border whose overlap holds talker A alone, then B alone (turn-taking)."""
from __future__ import annotations

import numpy as np

from slimsep.inference.stitching import Stitcher


def _turns(n: int = 4000, switch: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(4)
    talkers = rng.standard_normal((2, n)).astype(np.float32)
    talkers[0, switch:] = 0  # A alone, then B alone
    talkers[1, :switch] = 0
    return talkers


def test_turn_taking_overlap_keeps_each_talker_in_its_output() -> None:
    """The next window returns the talkers swapped, B negated and A partly leaking into B's output: A in output 1
    and B in output 2 on both sides of the border."""
    talkers = _turns()
    stitcher = Stitcher()
    first = stitcher.push(talkers[:, :3000], 0, 1000)
    nxt = talkers[:, 2000:]
    second = stitcher.push(np.stack([-nxt[1] + 0.3 * nxt[0], nxt[0]]), 1000, 0)
    out = np.concatenate([first, second], axis=1)
    assert np.dot(out[0, :2000], talkers[0, :2000]) > 0.9 * np.dot(talkers[0, :2000], talkers[0, :2000])
    tail = slice(3000, 4000)
    assert np.dot(out[1, tail], talkers[1, tail]) > 0.9 * np.dot(talkers[1, tail], talkers[1, tail])


def test_a_silent_overlap_keeps_the_order_and_signs() -> None:
    """No evidence in the overlap (silence): the new window's order is kept as it comes, never negated."""
    stitcher = Stitcher()
    stitcher.push(np.zeros((2, 3000), np.float32), 0, 1000)
    nxt = np.ones((2, 3000), np.float32) * np.array([[1.0], [2.0]], np.float32)
    nxt[:, :1000] = 0
    out = stitcher.push(nxt, 1000, 0)
    np.testing.assert_array_equal(out[:, 1000:], nxt[:, 1000:])
