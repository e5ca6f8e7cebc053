"""A BiLSTM inter-chunk layer: DPRNN's recurrent path across chunks, for the dual-path separator.

Why: the learning-speed controls (docs/training.md, "Learning-speed controls") found a transformer across chunks
slow to learn from little data, while DPRNN's recurrent paths learn fast. The layer is DPRNN's inter-chunk step

    y = x + LayerNorm( W( BiLSTM(x) ) )

(Luo, Chen & Yoshioka, DPRNN, 2020, eq. 5-7, with a per-token LayerNorm instead of gLN), where the BiLSTM runs along
the chunk axis at each intra-chunk position with ``lstm_hidden`` units per direction and ``W`` [D, 2H] projects back
to ``d_model``. A recurrence cannot mix hidden sizes within one sequence, so this layer always runs at full width
(``slim_inter`` must be False): the DSN's savings come from its slimmable intra-chunk layers.
"""
from __future__ import annotations

import torch
from torch import nn

from slimsep.models.config import ModelConfig


class InterLSTMLayer(nn.Module):
    """Residual BiLSTM over the sequence axis: ``[batch, seq, d_model]`` in and out."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.lstm = nn.LSTM(cfg.d_model, cfg.lstm_hidden, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * cfg.lstm_hidden, cfg.d_model)
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, x: torch.Tensor, width: float = 1.0) -> torch.Tensor:
        """``x`` [batch, seq, D] -> [batch, seq, D]. ``width`` is accepted for the layer interface and ignored:
        the layer has no slimmed form."""
        return x + self.norm(self.proj(self.lstm(x)[0]))

