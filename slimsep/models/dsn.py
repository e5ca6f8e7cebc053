"""The Dynamic Slimmable Network: encoder, gated slimmable dual-path separator, decoder."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from slimsep.errors import SlimsepError
from slimsep.models import geometry
from slimsep.models.config import ModelConfig
from slimsep.models.dual_path import DualPathBlock, overlap_add, split_chunks
from slimsep.models.gate import WidthGate
from slimsep.models.macs import width_costs

Widths = None | float | torch.Tensor


@dataclass
class SeparationOutput:
    """What a forward pass returns.

    ``width_idx`` holds the width *index* used per (batch, block, chunk); ``gate_probs`` the gates'
    soft probabilities (None when widths were forced), for the expected-cost penalty.
    """

    estimates: torch.Tensor  # [B, n_src, T]
    width_idx: torch.Tensor  # [B, R, C] long
    gate_probs: torch.Tensor | None  # [B, R, C, W]


class DSN(nn.Module):
    """Dynamic Slimmable Network for speech separation (docs/design.md §2)."""

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
        """Encoder frames for ``n_samples`` (:func:`slimsep.models.geometry.n_frames`)."""
        return geometry.n_frames(self.cfg, n_samples)

    def n_chunks(self, n_samples: int) -> int:
        """Dual-path chunks for ``n_samples`` (:func:`slimsep.models.geometry.n_chunks`)."""
        return geometry.n_chunks(self.cfg, n_samples)

    def chunk_spans(self, n_samples: int) -> torch.Tensor:
        """Sample range ``[start, end)`` of each chunk, clipped to the signal: ``[C, 2]`` long."""
        return torch.from_numpy(geometry.chunk_spans(self.cfg, n_samples))

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
        enc, x, energy = self.front(mix)  # [B, N, F], [B, C, K, D], [B, C]
        C = x.shape[1]
        forced = self._resolve_widths(widths, B, C)
        used, probs = [], []
        for r, (block, gate) in enumerate(zip(self.blocks, self.gates)):
            if isinstance(forced, float):
                x = block.forward_static(x, forced)
                used.append(torch.full((B, C), self.cfg.width_index(forced), dtype=torch.long, device=x.device))
            elif forced is not None:
                x = block.forward_grouped(x, forced[:, r])
                used.append(forced[:, r])
            else:
                decision = gate(x, energy, self.costs, budget=budget, tau=tau)
                x = block.forward_grouped(x, decision.width_idx, decision.value)
                used.append(decision.width_idx)
                probs.append(decision.probs)
        estimates = self.back(enc, x, T)
        return SeparationOutput(estimates, torch.stack(used, 1), torch.stack(probs, 1) if probs else None)

    # ---- the steps before and after the dual-path blocks (public: the ONNX export runs them as graphs) ---------
    def encode(self, mix: torch.Tensor) -> torch.Tensor:
        """Mixture [B, T] -> encoded mixture [B, N, F], the signal padded at the end to whole frames."""
        T = mix.shape[-1]
        padded = F.pad(mix, (0, geometry.padded_samples(self.cfg, T) - T))  # [B, (F - 1) * L/2 + L]
        return F.relu(self.encoder(padded.unsqueeze(1)))  # [B, N, F]

    def front(self, mix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mixture [B, T] -> (encoded mixture [B, N, F], chunks [B, C, K, D], relative log energy [B, C]).

        The relative log energy (each chunk's energy minus the utterance maximum, gain-invariant) is what the gates
        see besides the chunks. Traceable for every length: the padding to whole chunks is sliced from ``K`` zero
        frames by a count that ``torch.onnx`` keeps dynamic.
        """
        K = self.cfg.chunk_size
        enc = self.encode(mix)  # [B, N, F]
        frames = self.in_proj(self.normalise(enc))  # [B, F, D]
        energy = enc.pow(2).mean(1, keepdim=True).transpose(1, 2)  # [B, F, 1]
        count = torch.as_tensor(enc.shape[2]) if torch.jit.is_tracing() else enc.shape[2]
        total = geometry.chunked_frames(self.cfg, count)  # (C + 1) * K/2
        chunks = split_chunks(F.pad(frames, (0, 0, 0, K))[:, :total], K)  # [B, C, K, D]
        log_e = torch.log10(split_chunks(F.pad(energy, (0, 0, 0, K))[:, :total], K).mean((2, 3)) + 1e-8)  # [B, C]
        return enc, chunks, log_e - log_e.amax(1, keepdim=True).detach()

    def normalise(self, enc: torch.Tensor) -> torch.Tensor:
        """Encoded mixture [B, N, Tf] -> normalised frames [B, Tf, N] (``cfg.in_norm``)."""
        if self.cfg.in_norm == "frame":
            return self.in_norm(enc.transpose(1, 2))
        return self.in_norm(enc).transpose(1, 2)

    def back(self, enc: torch.Tensor, x: torch.Tensor, n_samples: int | None = None) -> torch.Tensor:
        """Encoded mixture [B, N, F] and separator output [B, C, K, D] -> estimates [B, n_src, T] (trimmed to
        ``n_samples``; None keeps the decoder's whole-frame length)."""
        B, N, Tf = enc.shape
        x = x if self.out_norm is None else self.out_norm(x)  # [B, C, K, D]
        frames = overlap_add(self.out_act(x))[:, :Tf]  # [B, F, D]
        masks = self.out_proj(frames).reshape(B, Tf, self.cfg.n_src, N).permute(0, 2, 3, 1)  # [B, S, N, F]
        masks = F.relu(masks) if self.cfg.mask_act == "relu" else torch.sigmoid(masks)
        masked = (masks * enc.unsqueeze(1)).reshape(B * self.cfg.n_src, N, Tf)  # [B * S, N, F]
        return self.decoder(masked).reshape(B, self.cfg.n_src, -1)[..., :n_samples]  # [B, S, T]

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
