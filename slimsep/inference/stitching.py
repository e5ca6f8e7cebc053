"""Long audio in overlapping windows: where the windows go, keeping speaker order, and cross-fading them.

The model has no notion of speaker identity across calls, so each window's outputs may come in any order. On the
overlap with the previous window both windows estimated the same audio: the permutation that best correlates them
keeps each output channel on the same talker.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Window:
    start: int  # first sample of the window in the input
    end: int
    overlap_before: int  # samples shared with the previous window


def plan_windows(n_samples: int, window: int, overlap: int) -> list[Window]:
    """Windows of ``window`` samples, consecutive ones sharing ``overlap``; the last one ends at the input end."""
    if n_samples <= window:
        return [Window(0, n_samples, 0)]
    hop = window - overlap
    starts = list(range(0, n_samples - window, hop)) + [n_samples - window]
    windows, prev_end = [], 0
    for s in starts:
        windows.append(Window(s, s + window, max(0, prev_end - s)))
        prev_end = s + window
    return windows


def best_permutation(previous: np.ndarray, current: np.ndarray) -> tuple[int, ...]:
    """Order of ``current`` [S, n] sources that best matches ``previous`` [S, n] (normalised correlation)."""
    def corr(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
    S = previous.shape[0]
    return max(itertools.permutations(range(S)),
               key=lambda p: sum(corr(previous[i], current[p[i]]) for i in range(S)))


class Stitcher:
    """Feed window estimates in order; get back finished samples, cross-faded and in a consistent speaker order.

    Memory holds one overlap's worth of samples, whatever the input length.
    """

    def __init__(self) -> None:
        self.pending: np.ndarray | None = None  # the previous window's tail, not yet emitted

    def push(self, estimates: np.ndarray, overlap_before: int, overlap_after: int) -> np.ndarray:
        """``estimates`` [S, window length]; returns the [S, k] samples that are now final.

        ``overlap_before``/``overlap_after``: samples shared with the previous/next window (0 at the ends).
        """
        ov = overlap_before
        if self.pending is not None and ov:
            estimates = estimates[list(best_permutation(self.pending, estimates[:, :ov]))].copy()
            fade = np.linspace(0.0, 1.0, ov + 2, dtype=np.float32)[1:-1]
            estimates[:, :ov] = self.pending * (1 - fade) + estimates[:, :ov] * fade
        cut = estimates.shape[1] - overlap_after
        self.pending = estimates[:, cut:] if overlap_after else None
        return estimates[:, :cut]
