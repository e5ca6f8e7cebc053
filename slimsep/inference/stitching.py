"""Long audio in overlapping windows: where the windows go, keeping speaker order, and cross-fading them.

The model has no notion of speaker identity across calls, so each window's outputs may come in any order, and a
network trained with SI-SDR may output a talker with either sign. On the overlap with the previous window both
windows estimated the same audio: the order and signs that bring the new window's estimates closest to the previous
window's (least squares) keep each output channel on the same talker with the same sign, so the cross-fade never
blends +x into -x. Least squares (not normalised correlation) lets the louder estimates decide: when one talker is
alone, both outputs hold parts of it, and a faint residual correlates as well as the talker itself.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from slimsep.errors import SlimsepError


@dataclass(frozen=True)
class Window:
    start: int  # first sample of the window in the input
    end: int
    overlap_before: int  # samples shared with the previous window


def plan_windows(n_samples: int, window: int, overlap: int) -> list[Window]:
    """The fewest windows of at most ``window`` samples that cover the input, consecutive ones sharing exactly
    ``overlap`` samples (so the re-processed audio is ``overlap`` per border, as documented), of equal length
    within a sample: k = ceil((n - overlap) / (window - overlap)) windows with borders spread evenly.
    Raises SlimsepError unless 0 <= overlap < window."""
    if not 0 <= overlap < window:
        raise SlimsepError(f"window overlap must be at least 0 and shorter than the window ({overlap} samples of "
                           f"{window})")
    if n_samples <= window:
        return [Window(0, n_samples, 0)]
    k = -(-(n_samples - overlap) // (window - overlap))
    borders = [round(i * (n_samples - overlap) / k) for i in range(k + 1)]
    return [Window(borders[i], borders[i + 1] + overlap, overlap if i else 0) for i in range(k)]


def best_alignment(previous: np.ndarray, current: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """(order, signs [S]) of ``current`` [S, n] sources closest to ``previous`` [S, n] in least squares:
    ``sum_i |previous[i] - sign_i * current[order[i]]|^2``, i.e. the order maximising ``sum_i |<previous[i],
    current[order[i]]>|``, each sign that of its inner product."""
    inner = previous.astype(np.float64) @ current.astype(np.float64).T  # [S, S]
    S = previous.shape[0]
    order = max(itertools.permutations(range(S)), key=lambda p: sum(abs(inner[i, p[i]]) for i in range(S)))
    signs = np.array([-1.0 if inner[i, order[i]] < 0 else 1.0 for i in range(S)], np.float32)
    return order, signs


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
            order, signs = best_alignment(self.pending, estimates[:, :ov])
            estimates = estimates[list(order)] * signs[:, None]
            fade = np.linspace(0.0, 1.0, ov + 2, dtype=np.float32)[1:-1]
            estimates[:, :ov] = self.pending * (1 - fade) + estimates[:, :ov] * fade
        cut = estimates.shape[1] - overlap_after
        self.pending = estimates[:, cut:] if overlap_after else None
        return estimates[:, :cut]
