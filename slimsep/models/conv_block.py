"""A slimmable convolutional intra-chunk layer: Conv-TasNet's 1-D conv block inside each chunk.

Why: a 2-layer transformer over 100-frame chunks learns slowly from little data (docs/training.md, "Learning-speed
controls"); convolutions carry the locality prior that Conv-TasNet and SuDoRM-RF learn fast with. The layer is

    y = x + W_out( GELU( DWConv_d( GELU( W_in( LayerNorm(x) ) ) ) ) )

(Luo & Mesgarani, Conv-TasNet, 2019, Fig. 1(c), with pre-LayerNorm and GELU instead of gLN and PReLU), where
``W_in`` [H, D] and ``W_out`` [D, H] are pointwise projections and ``DWConv_d`` a depthwise convolution over the
chunk's frames with dilation ``d`` and "same" zero padding. The residual stream keeps ``d_model`` channels; width
``u`` uses the first ``round(u * ffn_dim)`` hidden channels of all three (``ModelConfig.ffn_at``), so the cost
follows the width as a transformer layer's FFN does. Chunks overlap by half, so a chunk edge's missing context is
another chunk's middle.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from slimsep.models.config import ModelConfig
from slimsep.models.slimmable import SlimLinear


class SlimConvLayer(nn.Module):
    """Residual pointwise-depthwise-pointwise block over the frames of each chunk; ``width`` slices hidden units."""

    def __init__(self, cfg: ModelConfig, dilation: int) -> None:
        super().__init__()
        self.cfg, self.dilation = cfg, dilation
        self.norm = nn.LayerNorm(cfg.d_model)
        self.inp = SlimLinear(cfg.d_model, cfg.ffn_dim)
        self.depthwise = nn.Parameter(torch.empty(cfg.ffn_dim, 1, cfg.conv_kernel))
        self.depthwise_bias = nn.Parameter(torch.zeros(cfg.ffn_dim))
        nn.init.kaiming_uniform_(self.depthwise, a=5 ** 0.5)
        self.out = SlimLinear(cfg.ffn_dim, cfg.d_model)

    def forward(self, x: torch.Tensor, width: float) -> torch.Tensor:
        """``x`` [rows, K, D] -> [rows, K, D]; width 0 skips the layer (the residual passes unchanged)."""
        if width == 0:
            return x
        h = self.cfg.ffn_at(width)
        z = F.gelu(self.inp(self.norm(x), n_out=h)).transpose(1, 2)  # [rows, h, K]
        pad = self.dilation * (self.cfg.conv_kernel - 1) // 2
        z = F.conv1d(z, self.depthwise[:h], self.depthwise_bias[:h], padding=pad, dilation=self.dilation, groups=h)
        return x + self.out(F.gelu(z).transpose(1, 2), n_in=h)


def conv_dilation(layer: int) -> int:
    """Dilation of intra conv layer ``layer``: 1, 2, 4, 8, then again (Conv-TasNet's exponentially growing
    dilations, so four layers of kernel 5 see 61 frames of a chunk)."""
    return 2 ** (layer % 4)
