"""Grouping chunks by width: the mechanism that turns per-chunk widths into dense batched calls.

Chunks (flattened over batch and chunk index) are sorted by width index once per block; every
per-chunk or per-token operation then runs as one dense call per contiguous group with sliced
weights, and the result is un-sorted at the end of the block.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class WidthGroups:
    """A stable sort of flattened chunks by width index, with the group sizes."""

    width_idx: torch.Tensor  # [B*C] width index of each chunk, original order
    order: torch.Tensor | None  # sorted position -> original position; None when already sorted
    inverse: torch.Tensor | None
    counts: tuple[int, ...]  # chunks per width index
    widths: tuple[float, ...]

    @classmethod
    def from_indices(cls, width_idx: torch.Tensor, widths: tuple[float, ...]) -> "WidthGroups":
        flat = width_idx.reshape(-1)
        counts = tuple(torch.bincount(flat, minlength=len(widths)).tolist())
        if bool((flat[1:] >= flat[:-1]).all()):
            return cls(flat, None, None, counts, widths)
        order = torch.argsort(flat, stable=True)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(order.numel(), device=order.device)
        return cls(flat, order, inverse, counts, widths)

    def sort(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.order is None else x.index_select(0, self.order)

    def unsort(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.inverse is None else x.index_select(0, self.inverse)

    def split(self, x_sorted: torch.Tensor) -> list[tuple[float, torch.Tensor]]:
        """(width, rows) for every non-empty group of an already sorted tensor."""
        parts = x_sorted.split(list(self.counts))
        return [(w, p) for w, p, n in zip(self.widths, parts, self.counts) if n]

    def present(self) -> list[float]:
        return [w for w, n in zip(self.widths, self.counts) if n]
