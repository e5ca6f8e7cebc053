"""The DSN cut into the pieces the ONNX runtime calls: one ``nn.Module`` per graph, sharing the DSN's weights.

Widths are fixed per graph (static slices, so each graph's cost follows its width); lengths, batch, rows and
chunk counts stay dynamic. The runtime does the per-chunk routing between graphs in numpy.
"""
from __future__ import annotations

import torch
from torch import nn

from slimsep.models.dsn import DSN
from slimsep.models.dual_path import DualPathBlock
from slimsep.models.gate import WidthGate
from slimsep.models.transformer import SlimTransformerLayer


class Front(nn.Module):
    """Padded mixture [B, S] -> encoded mixture [B, N, F], chunks [B, C, K, D], relative log energy [B, C]:
    ``DSN.front``.

    The runtime pads the signal to whole encoder frames (``geometry.padded_samples``), so the traced encoder pads
    nothing; ``DSN.front`` pads the frames to whole chunks by a traced count, so one graph serves every length.
    """

    def __init__(self, model: DSN) -> None:
        super().__init__()
        self.model = model

    def forward(self, padded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.model.front(padded)


class Gate(nn.Module):
    """Chunks [B, C, K, D] and relative log energy [B, C] -> logits [B, C, W] (budget and argmax: runtime)."""

    def __init__(self, gate: WidthGate) -> None:
        super().__init__()
        self.gate = gate

    def forward(self, chunks: torch.Tensor, energy: torch.Tensor) -> torch.Tensor:
        return self.gate.logits(chunks, energy)


class Intra(nn.Module):
    """Rows [n, K, D] -> intra-chunk positional encoding plus every intra layer at one width (``intra_rows``)."""

    def __init__(self, block: DualPathBlock, width: float) -> None:
        super().__init__()
        self.block, self.width = block, width

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.block.intra_rows(rows, self.width)


class InterClose(nn.Module):
    """``stack_norm``: the inter stack's input rows and its last layer's output [n, K, D] -> the block's output."""

    def __init__(self, block: DualPathBlock) -> None:
        super().__init__()
        self.block = block

    def forward(self, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        return self.block.close_inter(start, end)


class InterQKV(nn.Module):
    """Rows [n, K, D] -> Q, K, V stacked [n, K, 3, d] of one inter layer at one width."""

    def __init__(self, layer: SlimTransformerLayer, width: float) -> None:
        super().__init__()
        self.layer, self.width = layer, width

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return torch.stack(self.layer.project(rows, self.width), dim=2)


class InterOut(nn.Module):
    """Rows [n, K, D] and their attention result [n, K, d] -> output projection and FFN residuals added."""

    def __init__(self, layer: SlimTransformerLayer, width: float) -> None:
        super().__init__()
        self.layer, self.width = layer, width

    def forward(self, rows: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        rows = rows + self.layer.attend_out(attended, self.width)
        return rows + self.layer.feed_forward(rows, self.width)


class Attention(nn.Module):
    """Weight-free multi-head attention q, k, v [S, C, d] with an additive mask [S, h, 1, C]; any d."""

    def __init__(self, layer: SlimTransformerLayer) -> None:
        super().__init__()
        self.layer = layer  # only its head size is used; the graph holds no weights

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.layer.attend(q, k, v, mask)


class InterFull(nn.Module):
    """``slim_inter=False``: chunks [B, C, K, D] (chunk encoding added) -> every inter layer at full width."""

    def __init__(self, block: DualPathBlock) -> None:
        super().__init__()
        self.block = block

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, K, D = x.shape
        seq = x.transpose(1, 2).reshape(B * K, C, D)
        for layer in self.block.inter:
            seq = layer(seq, 1.0)
        return seq.reshape(B, K, C, D).transpose(1, 2)


class Back(nn.Module):
    """Encoded mixture [B, N, F] and separator output [B, C, K, D] -> estimates [B, n_src, S] (runtime trims)."""

    def __init__(self, model: DSN) -> None:
        super().__init__()
        self.model = model

    def forward(self, enc: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.model.back(enc, x)
