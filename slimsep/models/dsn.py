"""The Dynamic Slimmable Network: encoder, gated slimmable dual-path separator, decoder."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from slimsep.errors import SlimsepError
from slimsep.models.config import ModelConfig
from slimsep.models.dual_path import DualPathBlock, overlap_add, split_chunks
from slimsep.models.gate import WidthGate
from slimsep.models.macs import chunk_spans, width_costs

Widths = None | float | torch.Tensor


@dataclass
class SeparationOutput:
    """What a forward pass returns.

    ``widths`` holds the width *index* used per (batch, block, chunk); ``gate_probs`` the gates'
    soft probabilities (None when widths were forced), for the expected-cost penalty.
    """

    estimates: torch.Tensor  # [B, n_src, T]
    widths: torch.Tensor  # [B, R, C] long
    gate_probs: torch.Tensor | None  # [B, R, C, W]


class DSN(nn.Module):
    """Dynamic Slimmable Network for speech separation (DESIGN.md §2)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        N, D, L = cfg.n_filters, cfg.d_model, cfg.kernel_size
        self.encoder = nn.Conv1d(1, N, L, stride=L // 2, bias=False)
        # "frame" normalises each encoder frame on its own, which hides from the separator how loud each frame is
        # (silence looks like speech); "global" (Conv-TasNet's gLN, SepFormer's GroupNorm(1, N)) keeps it.
        self.in_norm = nn.LayerNorm(N) if cfg.in_norm == "frame" else nn.GroupNorm(1, N, eps=1e-8)
        self.in_proj = nn.Linear(N, D)
        self.blocks = nn.ModuleList(DualPathBlock(cfg) for _ in range(cfg.n_blocks))
        self.gates = nn.ModuleList(WidthGate(cfg) for _ in range(cfg.n_blocks))
        self.out_norm = nn.LayerNorm(D) if cfg.final_norm else None  # a pre-LN stack's missing final norm
        self.out_act = nn.PReLU()
        self.out_proj = nn.Linear(D, cfg.n_src * N)
        self.decoder = nn.ConvTranspose1d(N, 1, L, stride=L // 2, bias=False)
        self.register_buffer("costs", torch.tensor(width_costs(cfg), dtype=torch.float32), persistent=False)

    # ---- geometry -------------------------------------------------------------------------
    def n_frames(self, n_samples: int) -> int:
        """Encoder frames for ``n_samples`` (the signal is padded up to a whole frame)."""
        L, hop = self.cfg.kernel_size, self.cfg.kernel_size // 2
        return 1 + max(0, -(-(n_samples - L) // hop))

    def n_chunks(self, n_samples: int) -> int:
        K, hop = self.cfg.chunk_size, self.cfg.chunk_size // 2
        return 1 + max(0, -(-(self.n_frames(n_samples) - K) // hop))

    def chunk_spans(self, n_samples: int) -> torch.Tensor:
        """Sample range ``[start, end)`` of each chunk, clipped to the signal: ``[C, 2]`` long."""
        return torch.from_numpy(chunk_spans(self.cfg, n_samples))

    # ---- forward --------------------------------------------------------------------------
    def forward(self, mix: torch.Tensor, widths: Widths = None, budget: float = 0.0,
                tau: float = 1.0) -> SeparationOutput:
        """Separate ``mix`` [B, T] (or [T]).

        ``widths``: None -> the gates choose per chunk and block; a float -> that static width
        everywhere; a long tensor [R, C] or [B, R, C] of width indices -> forced assignment.
        ``budget`` biases the gates towards cheaper widths at inference; ``tau`` is the Gumbel
        temperature in training.
        """
        if mix.dim() == 1:
            mix = mix.unsqueeze(0)
        if mix.dim() != 2:
            raise SlimsepError(f"expected a mixture of shape [batch, samples], got {tuple(mix.shape)}")
        B, T = mix.shape
        C = self.n_chunks(T)
        enc = self._encode(mix)  # [B, N, Tf]
        x = split_chunks(self._to_separator_frames(enc, C), self.cfg.chunk_size)
        forced = self._resolve_widths(widths, B, C)
        used, probs = [], []
        energy = self._relative_log_energy(enc, C) if forced is None else None
        for r, (block, gate) in enumerate(zip(self.blocks, self.gates)):
            if isinstance(forced, float):
                x = block.forward_static(x, forced)
                used.append(torch.full((B, C), self.cfg.width_index(forced), dtype=torch.long, device=x.device))
            elif forced is not None:
                x = block.forward_grouped(x, forced[:, r])
                used.append(forced[:, r])
            else:
                decision = gate(x, energy, self.costs, budget=budget, tau=tau)
                x = block.forward_grouped(x, decision.index, decision.value)
                used.append(decision.index)
                probs.append(decision.probs)
        estimates = self._decode(enc, x, T)
        return SeparationOutput(estimates, torch.stack(used, 1), torch.stack(probs, 1) if probs else None)

    def _encode(self, mix: torch.Tensor) -> torch.Tensor:
        L, hop = self.cfg.kernel_size, self.cfg.kernel_size // 2
        T = mix.shape[-1]
        padded = F.pad(mix, (0, (self.n_frames(T) - 1) * hop + L - T))
        return F.relu(self.encoder(padded.unsqueeze(1)))

    def _to_separator_frames(self, enc: torch.Tensor, n_chunks: int) -> torch.Tensor:
        frames = self.in_proj(self.normalise(enc))  # [B, Tf, D]
        total = (n_chunks + 1) * (self.cfg.chunk_size // 2)
        return F.pad(frames, (0, 0, 0, total - frames.shape[1]))

    def normalise(self, enc: torch.Tensor) -> torch.Tensor:
        """Encoded mixture [B, N, Tf] -> normalised frames [B, Tf, N] (``cfg.in_norm``)."""
        if self.cfg.in_norm == "frame":
            return self.in_norm(enc.transpose(1, 2))
        return self.in_norm(enc).transpose(1, 2)

    def _relative_log_energy(self, enc: torch.Tensor, n_chunks: int) -> torch.Tensor:
        """Per-chunk log energy of the encoded mixture minus the utterance maximum: gain-invariant."""
        frame_energy = enc.pow(2).mean(1, keepdim=True).transpose(1, 2)  # [B, Tf, 1]
        total = (n_chunks + 1) * (self.cfg.chunk_size // 2)
        frame_energy = F.pad(frame_energy, (0, 0, 0, total - frame_energy.shape[1]))
        log_e = torch.log10(split_chunks(frame_energy, self.cfg.chunk_size).mean((2, 3)) + 1e-8)
        return log_e - log_e.amax(1, keepdim=True).detach()

    def _decode(self, enc: torch.Tensor, x: torch.Tensor, n_samples: int) -> torch.Tensor:
        B, N, Tf = enc.shape
        x = x if self.out_norm is None else self.out_norm(x)
        frames = overlap_add(self.out_act(x))[:, :Tf]
        masks = self.out_proj(frames).reshape(B, Tf, self.cfg.n_src, N).permute(0, 2, 3, 1)
        masks = F.relu(masks) if self.cfg.mask_act == "relu" else torch.sigmoid(masks)
        masked = (masks * enc.unsqueeze(1)).reshape(B * self.cfg.n_src, N, Tf)
        return self.decoder(masked).reshape(B, self.cfg.n_src, -1)[..., :n_samples]

    def _resolve_widths(self, widths: Widths, batch: int, n_chunks: int) -> None | float | torch.Tensor:
        if widths is None:
            return None
        if isinstance(widths, (int, float)):
            self.cfg.width_index(float(widths))  # validates
            return float(widths)
        if not isinstance(widths, torch.Tensor) or widths.dtype not in (torch.long, torch.int32, torch.int64):
            raise SlimsepError("widths must be None, a float, or an integer tensor of width indices")
        R = self.cfg.n_blocks
        if widths.dim() == 2:
            widths = widths.unsqueeze(0).expand(batch, -1, -1)
        if tuple(widths.shape) != (batch, R, n_chunks):
            raise SlimsepError(f"width indices must have shape [{R}, {n_chunks}] or [{batch}, {R}, {n_chunks}] "
                               f"for this input, got {tuple(widths.shape)}")
        if int(widths.min()) < 0 or int(widths.max()) >= len(self.cfg.widths):
            raise SlimsepError(f"width indices must lie in [0, {len(self.cfg.widths) - 1}]")
        return widths.long().to(self.costs.device)
