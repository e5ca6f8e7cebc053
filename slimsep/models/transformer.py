"""A pre-norm transformer layer whose attention heads and FFN units are slimmable.

The residual stream always stays ``d_model`` wide, so chunks processed at different widths remain
compatible; only the heads (first ``ceil(u*H)``) and FFN units (first ``u*F``) are sliced.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from slimsep.models.config import ModelConfig
from slimsep.models.geometry import POSITION_SCALE, attn_width
from slimsep.models.slimmable import SlimLinear, SlimQKV


class SlimTransformerLayer(nn.Module):
    """Pre-LN transformer layer; ``width`` selects the heads and FFN units used by each call."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.norm1 = nn.LayerNorm(cfg.d_model)
        self.qkv = SlimQKV(cfg.d_model, cfg.attn_dim)
        self.proj = SlimLinear(cfg.attn_dim, cfg.d_model)
        self.norm2 = nn.LayerNorm(cfg.d_model)
        self.ff1 = SlimLinear(cfg.d_model, cfg.ffn_dim)
        self.ff2 = SlimLinear(cfg.ffn_dim, cfg.d_model)

    def attn_width(self, width: float) -> int:
        """Channels of Q, K and V (heads times head size) used at ``width``."""
        return attn_width(self.cfg, width)

    def project(self, x: torch.Tensor, width: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-token Q/K/V of the normalised input at ``width``."""
        return self.qkv(self.norm1(x), self.attn_width(width))

    def attend_out(self, heads_out: torch.Tensor, width: float) -> torch.Tensor:
        """Output projection of the attention result (first ``attn_width`` channels)."""
        d = self.attn_width(width)
        return self.proj(heads_out[..., :d], n_in=d)

    def feed_forward(self, x: torch.Tensor, width: float) -> torch.Tensor:
        f = self.cfg.ffn_at(width)
        return self.ff2(F.relu(self.ff1(self.norm2(x), n_out=f)), n_in=f)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None = None) -> torch.Tensor:
        """Multi-head attention over the second-to-last axis; ``[..., S, h*hd]`` in and out.

        Under autocast, Q, K, V and the additive mask go in at the autocast dtype (bf16/fp16): without a mask,
        SDPA can then pick the flash kernel; a float32 mask next to bf16 queries would be an error.
        """
        hd = self.cfg.attn_head_dim
        shape = q.shape
        autocast = torch.is_autocast_enabled(q.device.type)
        if autocast:
            dtype = torch.get_autocast_dtype(q.device.type)
            q, k, v = (t.to(dtype) for t in (q, k, v))
        if mask is not None and mask.is_floating_point():
            mask = mask.to(q.dtype)
        split = [t.reshape(-1, t.shape[-2], t.shape[-1] // hd, hd).transpose(1, 2) for t in (q, k, v)]
        attention = matmul_attention if autocast and q.device.type == "cpu" else F.scaled_dot_product_attention
        out = attention(*split, attn_mask=mask)
        return out.transpose(1, 2).reshape(shape)

    def forward(self, x: torch.Tensor, width: float) -> torch.Tensor:
        """All tokens at one width; ``x`` is ``[batch, seq, d_model]`` and attention runs over seq."""
        if width == 0:
            return x
        q, k, v = self.project(x, width)
        x = x + self.attend_out(self.attend(q, k, v), width)
        return x + self.feed_forward(x, width)


def matmul_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     attn_mask: torch.Tensor | None = None) -> torch.Tensor:
    """``softmax(Q K^T / sqrt(d) + mask) V`` (Vaswani et al. 2017, eq. 1) as two matmuls, softmax in float32.

    Used under CPU autocast: PyTorch's fused CPU attention is slow in bf16 at head sizes of 16-64 (its backward
    took 5-10x its float32 time), while plain bf16 matmuls run on the CPU's matrix units. ``[..., heads, S, d]``.
    """
    scores = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    if attn_mask is not None:
        scores = scores + attn_mask
    return torch.matmul(torch.softmax(scores.float(), dim=-1).to(v.dtype), v)


def sinusoidal_encoding(length: int, dim: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Standard sinusoidal positional encoding ``[length, dim]`` (numpy twin: ``geometry.positional_encoding``)."""
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-POSITION_SCALE / dim))
    table = torch.zeros(length, dim, device=device)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table.to(dtype)
