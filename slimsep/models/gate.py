"""The light per-block gate that picks each chunk's width from its local statistics."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from slimsep.models.config import ModelConfig


@dataclass
class GateDecision:
    width_idx: torch.Tensor  # [B, C] chosen width index
    value: torch.Tensor | None  # [B, C] straight-through value of the choice (1.0 forward), training only
    probs: torch.Tensor  # [B, C, W] soft probabilities (for the expected-cost penalty)
    logits: torch.Tensor  # [B, C, W]


class WidthGate(nn.Module):
    """Two-layer MLP on (mean, std over the chunk's frames, relative log energy) -> one logit per width.

    The relative log energy (chunk energy minus the utterance maximum) is gain-invariant and tells the
    gate about silence, which LayerNorm-ed features alone hide.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.hidden = nn.Linear(2 * cfg.d_model + 1, cfg.gate_hidden)
        self.out = nn.Linear(cfg.gate_hidden, len(cfg.widths))
        with torch.no_grad():
            self.out.weight.mul_(0.1)
            self.out.bias.zero_()
            self.out.bias[-1] = cfg.gate_init_bias

    @staticmethod
    def features(chunks: torch.Tensor, rel_log_energy: torch.Tensor) -> torch.Tensor:
        """What the gate sees: ``chunks`` [B, C, K, D], ``rel_log_energy`` [B, C] -> [B, C, 2D + 1]."""
        std, mean = torch.std_mean(chunks, dim=2)
        return torch.cat([mean, std, rel_log_energy.unsqueeze(-1)], dim=-1)

    def logits(self, chunks: torch.Tensor, rel_log_energy: torch.Tensor) -> torch.Tensor:
        """``chunks`` [B, C, K, D], ``rel_log_energy`` [B, C] -> logits [B, C, W]."""
        return self.out(F.relu(self.hidden(self.features(chunks, rel_log_energy))))

    def forward(self, chunks: torch.Tensor, rel_log_energy: torch.Tensor, costs: torch.Tensor,
                budget: float = 0.0, tau: float = 1.0) -> GateDecision:
        """Gumbel-softmax (hard, straight-through) in training; argmax in eval.

        ``budget`` biases the logits by ``-budget * cost`` at inference, trading quality for compute.
        """
        logits = self.logits(chunks, rel_log_energy)
        probs = logits.softmax(-1)
        if self.training:
            onehot = F.gumbel_softmax(logits, tau=tau, hard=True)
            width_idx = onehot.argmax(-1)
            value = onehot.gather(-1, width_idx.unsqueeze(-1)).squeeze(-1)
            return GateDecision(width_idx, value, probs, logits)
        width_idx = (logits - budget * costs.to(logits)).argmax(-1)
        return GateDecision(width_idx, None, probs, logits)
