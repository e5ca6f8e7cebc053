"""Dual-path blocks: slimmable intra-chunk layers, then inter-chunk layers, with per-chunk widths.

Two execution paths give the same numbers: ``forward_static`` (one width everywhere, no gather) and
``forward_grouped`` (chunks sorted by width, one dense call per width group, un-sorted at the end).
"""
from __future__ import annotations

import torch
from torch import nn

from slimsep.models.config import ModelConfig
from slimsep.models.conv_block import SlimConvLayer, conv_dilation
from slimsep.models.geometry import MASKED_BIAS
from slimsep.models.grouping import WidthGroups
from slimsep.models.rnn_block import InterLSTMLayer
from slimsep.models.transformer import SlimTransformerLayer, sinusoidal_encoding


def split_chunks(frames: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """``[B, T, D]`` (T a multiple of K/2, at least K) -> ``[B, C, K, D]`` with 50 % overlap."""
    hop = chunk_size // 2
    B, T, D = frames.shape
    halves = frames.reshape(B, T // hop, hop, D)
    return torch.cat([halves[:, :-1], halves[:, 1:]], dim=2)


def overlap_add(chunks: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_chunks` with summation: ``[B, C, K, D]`` -> ``[B, (C+1)*K/2, D]``."""
    B, C, K, D = chunks.shape
    hop = K // 2
    zero = chunks.new_zeros(B, 1, hop, D)
    first = torch.cat([chunks[:, :, :hop], zero], dim=1)
    second = torch.cat([zero, chunks[:, :, hop:]], dim=1)
    return (first + second).reshape(B, (C + 1) * hop, D)


class DualPathBlock(nn.Module):
    """Intra-chunk layers (slimmable, per chunk) followed by inter-chunk layers."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.intra = nn.ModuleList(SlimConvLayer(cfg, conv_dilation(i)) if cfg.intra_type == "conv"
                                   else SlimTransformerLayer(cfg) for i in range(cfg.intra_layers))
        self.inter = nn.ModuleList(InterLSTMLayer(cfg) if cfg.inter_type == "lstm" else SlimTransformerLayer(cfg)
                                   for _ in range(cfg.inter_layers))
        # SepFormer/DPTNet: each stack's output normalised and added to the stack's input (cfg.stack_norm).
        self.intra_norm = nn.LayerNorm(cfg.d_model) if cfg.stack_norm else None
        self.inter_norm = nn.LayerNorm(cfg.d_model) if cfg.stack_norm else None

    # ---- one width everywhere -------------------------------------------------------------
    def forward_static(self, x: torch.Tensor, width: float) -> torch.Tensor:
        """``x`` [B, C, K, D] with every chunk at ``width``."""
        B, C, K, D = x.shape
        h = self.intra_rows(x.reshape(B * C, K, D), width)
        inter_width = width if self.cfg.slim_inter else 1.0
        if width == 0 and self.cfg.slim_inter:
            return h.reshape(B, C, K, D)
        h = h.reshape(B, C, K, D).transpose(1, 2).reshape(B * K, C, D)
        start = h
        h = h + sinusoidal_encoding(C, D, x.device, x.dtype)
        for layer in self.inter:
            h = layer(h, inter_width)
        h = self.close_inter(start, h)
        return h.reshape(B, K, C, D).transpose(1, 2).contiguous()

    def intra_rows(self, rows: torch.Tensor, width: float) -> torch.Tensor:
        """Chunks ``rows`` [n, K, D] -> the intra stack's output at ``width`` (positional encoding added here;
        public: the ONNX export runs it as one graph per width).

        With ``stack_norm``: ``rows + LayerNorm(stack(rows + pos))``, and a skipped chunk (width 0) passes unchanged.
        Convolutional intra layers (``intra_type: conv``) see relative positions already: no encoding is added.
        """
        K, D = rows.shape[1], rows.shape[2]
        pos = sinusoidal_encoding(K, D, rows.device, rows.dtype) if self.cfg.intra_type == "transformer" else 0
        h = self._intra_stack(rows + pos, width)
        if self.intra_norm is None:
            return h
        return rows + self.intra_norm(h) if width else rows

    def close_inter(self, start: torch.Tensor, end: torch.Tensor) -> torch.Tensor:
        """The inter stack's output from its input ``start`` and last layer's output ``end`` (same shape)."""
        return end if self.inter_norm is None else start + self.inter_norm(end)

    # ---- per-chunk widths -----------------------------------------------------------------
    def forward_grouped(self, x: torch.Tensor, width_idx: torch.Tensor,
                        gate_value: torch.Tensor | None = None) -> torch.Tensor:
        """``x`` [B, C, K, D]; ``width_idx`` [B, C] width index per chunk.

        ``gate_value`` [B, C] (training) multiplies each chunk's intra-block residual update, so
        the straight-through gradient reaches the gate while the forward value stays unchanged.
        """
        B, C, K, D = x.shape
        groups = WidthGroups.from_indices(width_idx, self.cfg.widths)
        flat = groups.sort(x.reshape(B * C, K, D))
        h = torch.cat([self.intra_rows(rows, w) for w, rows in groups.split(flat)])
        delta = h - flat
        if gate_value is not None:
            delta = delta * groups.sort(gate_value.reshape(B * C, 1, 1))
        h = start = flat + delta
        chunk_pe = sinusoidal_encoding(C, D, x.device, x.dtype).expand(B, C, D).reshape(B * C, 1, D)
        h = h + groups.sort(chunk_pe)
        for layer in self.inter:
            h = self._inter_layer(layer, h, groups, B, C)
        if self.inter_norm is not None:
            h = self._close_inter_grouped(start, h, groups)
        return groups.unsort(h).reshape(B, C, K, D)

    def _close_inter_grouped(self, start: torch.Tensor, end: torch.Tensor, groups: WidthGroups) -> torch.Tensor:
        """``close_inter`` on width-sorted rows; chunks skipped (width 0, ``slim_inter``) keep their input, as in
        ``forward_static``."""
        out = self.close_inter(start, end)
        if not self.cfg.slim_inter or 0.0 not in groups.present():
            return out
        skipped = torch.cat([torch.full((len(rows),), w == 0, device=out.device) for w, rows in groups.split(out)])
        return torch.where(skipped[:, None, None], start, out)

    def _intra_stack(self, rows: torch.Tensor, width: float) -> torch.Tensor:
        for layer in self.intra:
            rows = layer(rows, width)
        return rows

    def _inter_layer(self, layer: SlimTransformerLayer, h: torch.Tensor, groups: WidthGroups,
                     B: int, C: int) -> torch.Tensor:
        """One inter-chunk layer on width-sorted chunks ``h`` [B*C, K, D].

        Projections and FFN run per width group; attention across chunks runs over the heads any
        chunk uses, each chunk's inactive heads masked out as keys (and discarded as queries).
        """
        if not self.cfg.slim_inter:
            return self._inter_layer_full(layer, h, groups, B, C)
        present = groups.present()
        d_max = layer.attn_width(max(present))
        if d_max == 0:  # every chunk skipped (width 0): no heads, no per-token work, residual passes on
            return h
        K, D = h.shape[1], h.shape[2]
        qkv = torch.cat([self._padded_qkv(layer, rows, w, d_max) for w, rows in groups.split(h)])
        qkv = groups.unsort(qkv).reshape(B, C, K, 3, d_max).permute(3, 0, 2, 1, 4)
        q, k, v = (t.reshape(B * K, C, d_max) for t in qkv)
        mask = self._head_mask(groups, B, C, K, d_max, h.dtype) if len(present) > 1 else None
        att = layer.attend(q, k, v, mask).reshape(B, K, C, d_max).transpose(1, 2)
        att = groups.sort(att.reshape(B * C, K, d_max))
        h = h + torch.cat([self._attend_out(layer, rows, w) for w, rows in groups.split(att)])
        return h + torch.cat([self._ffn(layer, rows, w) for w, rows in groups.split(h)])

    def _inter_layer_full(self, layer: SlimTransformerLayer, h: torch.Tensor, groups: WidthGroups,
                          B: int, C: int) -> torch.Tensor:
        K, D = h.shape[1], h.shape[2]
        seq = groups.unsort(h).reshape(B, C, K, D).transpose(1, 2).reshape(B * K, C, D)
        seq = layer(seq, 1.0)
        return groups.sort(seq.reshape(B, K, C, D).transpose(1, 2).reshape(B * C, K, D))

    @staticmethod
    def _padded_qkv(layer: SlimTransformerLayer, rows: torch.Tensor, width: float, d_max: int) -> torch.Tensor:
        n, K, _ = rows.shape
        d = layer.attn_width(width)
        out = rows.new_zeros(n, K, 3, d_max)
        if d:
            out[..., :d] = torch.stack(layer.project(rows, width), dim=2)
        return out

    @staticmethod
    def _attend_out(layer: SlimTransformerLayer, rows: torch.Tensor, width: float) -> torch.Tensor:
        return layer.attend_out(rows, width) if width else rows.new_zeros(*rows.shape[:-1], layer.cfg.d_model)

    @staticmethod
    def _ffn(layer: SlimTransformerLayer, rows: torch.Tensor, width: float) -> torch.Tensor:
        return layer.feed_forward(rows, width) if width else torch.zeros_like(rows)

    def _head_mask(self, groups: WidthGroups, B: int, C: int, K: int, d_max: int,
                   dtype: torch.dtype) -> torch.Tensor:
        """Additive mask [B*K, H_max, 1, C]: key chunk c is visible in head h iff c uses head h."""
        heads = torch.tensor([self.cfg.heads_at(w) for w in self.cfg.widths], device=groups.width_idx.device)
        active_heads = heads[groups.width_idx].reshape(B, C)
        h_max = d_max // self.cfg.attn_head_dim
        visible = torch.arange(h_max, device=active_heads.device)[None, :, None] < active_heads[:, None, :]
        bias = torch.zeros(B, h_max, C, device=active_heads.device, dtype=dtype)
        bias = bias.masked_fill(~visible, MASKED_BIAS)
        return bias[:, None, :, None, :].expand(B, K, h_max, 1, C).reshape(B * K, h_max, 1, C)
