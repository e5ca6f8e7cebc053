"""The bookkeeping behind a separation report: MACs spent, the share of chunks at each width, widths over time.

Windows overlap, so each chunk is counted once, by the window that owns its centre (the overlap's first half
belongs to the earlier window); MACs count every window in full, overlap included, as that is what was computed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from slimsep.models import geometry
from slimsep.models.macs import count_macs

if TYPE_CHECKING:
    from slimsep.models.config import ModelConfig


def owned_chunks(cfg: ModelConfig, n_chunks: int, start: int, end: int, before: int, after: int,
                 sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(chunk centres in s, mask of the chunks the window ``[start, end)`` owns) for a window sharing ``before``
    and ``after`` samples (at the input rate ``sr``) with its neighbours."""
    n_model = int(round((end - start) * cfg.sample_rate / sr))
    spans = geometry.chunk_spans(cfg, n_model)[:n_chunks]
    centres = start / sr + spans.mean(1) / cfg.sample_rate
    lo, hi = (start + before / 2) / sr, (end - after / 2) / sr
    return centres, (centres >= lo) & (centres < hi)


class WidthLog:
    """MACs, width decisions and the timeline of one separation, window by window."""

    TIMELINE_COLUMNS = ("chunk centre [s]", "width, mean over the model's blocks")  # said in the JSON report

    def __init__(self, cfg: ModelConfig, gated: bool) -> None:
        self.cfg, self.gated = cfg, gated
        self.macs = 0
        self.counts = np.zeros(len(cfg.widths), np.int64)  # owned (block, chunk) decisions per width index
        self.timeline: list[tuple[float, float]] = []  # (chunk centre in s, width averaged over blocks)

    def add(self, width_idx: np.ndarray, n_model: int, start: int, end: int, before: int, after: int,
            sr: int) -> None:
        """One window: ``width_idx`` [R, C] chosen for its ``n_model`` samples at the model's rate, the window
        ``[start, end)`` in input samples at ``sr``, sharing ``before`` / ``after`` samples with its neighbours."""
        self.macs += count_macs(self.cfg, width_idx, n_model, gated=self.gated)
        centres, owned = owned_chunks(self.cfg, width_idx.shape[1], start, end, before, after, sr)
        values = np.asarray(self.cfg.widths)[width_idx].mean(0)
        self.timeline += [(float(c), float(v)) for c, v in zip(centres[owned], values[owned])]
        self.counts += np.bincount(width_idx[:, owned].ravel(), minlength=self.counts.size)

    def width_share(self) -> dict[str, float]:
        """Share of the owned (block, chunk) decisions at each width, keyed by the width (``"0.5"``)."""
        total = max(1, int(self.counts.sum()))
        return {f"{w:g}": float(n / total) for w, n in zip(self.cfg.widths, self.counts)}

    def widths_over_time(self) -> list[list[float]]:
        """[chunk centre in s (ms precision), width averaged over blocks] for every owned chunk."""
        return [[round(t, 3), w] for t, w in self.timeline]


def band_note(sample_rate: int, model_rate: int) -> str:
    """A note when the input carries frequencies the model never sees: the estimates stop at its Nyquist."""
    if sample_rate <= model_rate:
        return ""
    return (f"the estimates are band-limited to {model_rate / 2000:g} kHz (the model runs at {model_rate / 1000:g} "
            f"kHz; the input at {sample_rate / 1000:g} kHz carries up to {sample_rate / 2000:g} kHz)")


def silence_note(silent: int, windows: int) -> str:
    """A note when windows were too quiet to separate (below -180 dBFS after the high-pass: near silence,
    denormals, DC only): their estimates are zeros, which a user would otherwise take for a model failure."""
    if not silent:
        return ""
    where = "the whole input" if silent == windows else f"{silent} of {windows} windows"
    return (f"{where} is near-silent after removing DC and content below 30 Hz (under -180 dBFS): the estimates "
            f"there are all zeros")


def peak_note(peak: float) -> str:
    """A note when an estimate peaks above full scale: the float WAVs keep it, a 16-bit copy would clip."""
    if not peak > 1.0:
        return ""
    return (f"the estimates peak at {peak:.2f}, above full scale (1.0): the 32-bit float WAVs keep them, a 16-bit "
            f"copy would clip")
