"""Slimmable building blocks: linear layers that run on a contiguous leading slice of their weights.

Slicing (``weight[:out, :in]``) instead of masking is what makes the cost scale with the width.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SlimLinear(nn.Linear):
    """``nn.Linear`` that can use only its first ``in_features``/``out_features`` channels."""

    def forward(self, x: torch.Tensor, n_in: int | None = None, n_out: int | None = None) -> torch.Tensor:
        n_in = self.in_features if n_in is None else n_in
        n_out = self.out_features if n_out is None else n_out
        weight = self.weight[:n_out, :n_in]
        bias = None if self.bias is None else self.bias[:n_out]
        return F.linear(x[..., :n_in] if x.shape[-1] != n_in else x, weight, bias)


class SlimQKV(nn.Module):
    """Packed Q/K/V projection whose output keeps the first ``d`` channels of each of Q, K and V."""

    def __init__(self, d_model: int, attn_dim: int) -> None:
        super().__init__()
        self.attn_dim = attn_dim
        self.weight = nn.Parameter(torch.empty(3, attn_dim, d_model))
        self.bias = nn.Parameter(torch.zeros(3, attn_dim))
        for i in range(3):
            nn.init.xavier_uniform_(self.weight[i])

    def forward(self, x: torch.Tensor, d: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if d == self.attn_dim:
            weight, bias = self.weight.reshape(3 * d, -1), self.bias.reshape(3 * d)
        else:
            weight = self.weight[:, :d].reshape(3 * d, -1)
            bias = self.bias[:, :d].reshape(3 * d)
        return F.linear(x, weight, bias).chunk(3, dim=-1)
