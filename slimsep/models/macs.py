"""Closed-form multiply-accumulate (MAC) counts for any width assignment.

Counted: convolutions, linear layers, and attention products (Q·K and A·V), i.e. exactly the ops
``torch.utils.flop_counter.FlopCounterMode`` counts (it reports FLOPs = 2 x MACs). Not counted:
norms, activations, masking and other element-wise work (a few % at most).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from slimsep.models.config import ModelConfig
from slimsep.models.geometry import attn_width, frames_and_chunks


def token_macs(cfg: ModelConfig, width: float) -> int:
    """Per-token MACs of one layer's Q/K/V, output projection and FFN at ``width``."""
    return 4 * cfg.d_model * attn_width(cfg, width) + 2 * cfg.d_model * cfg.ffn_at(width)


def lstm_token_macs(cfg: ModelConfig) -> int:
    """MACs per token of one BiLSTM inter layer (:mod:`slimsep.models.rnn_block`): two directions of four gates, each
    ``H x (D + H)``, plus the projection ``2H -> D``; the gates' element-wise arithmetic is not counted."""
    H, D = cfg.lstm_hidden, cfg.d_model
    return 2 * 4 * H * (D + H) + 2 * H * D


def block_chunk_macs(cfg: ModelConfig, width: float) -> int:
    """Per-chunk MACs of one block's slimmable work at ``width`` (intra stack, plus inter
    per-token parts when ``slim_inter``); excludes attention across chunks."""
    K = cfg.chunk_size
    if cfg.intra_type == "conv":  # pointwise in and out, depthwise kernel (slimsep.models.conv_block)
        intra = cfg.intra_layers * K * (2 * cfg.d_model + cfg.conv_kernel) * cfg.ffn_at(width)
    else:
        intra = cfg.intra_layers * (K * token_macs(cfg, width) + 2 * K * K * attn_width(cfg, width))
    inter = cfg.inter_layers * K * token_macs(cfg, width) if cfg.slim_inter else 0
    return intra + inter


def width_costs(cfg: ModelConfig) -> list[float]:
    """Relative cost of each width (1.0 at full width): the unit of the complexity loss and budget."""
    full = block_chunk_macs(cfg, 1.0)
    return [block_chunk_macs(cfg, w) / full for w in cfg.widths]


def count_macs(cfg: ModelConfig, widths: float | Sequence[Sequence[int]] | np.ndarray, n_samples: int,
               gated: bool | None = None) -> int:
    """MACs to separate one utterance of ``n_samples``.

    ``widths`` is a static width (float) or width indices ``[R, C]`` (as the model returns per
    utterance). ``gated`` adds the gates' cost; by default it is counted for index assignments.
    """
    frames, C = frames_and_chunks(cfg, n_samples)
    N, D, L, K, R = cfg.n_filters, cfg.d_model, cfg.kernel_size, cfg.chunk_size, cfg.n_blocks
    if isinstance(widths, (int, float)):
        per_block = [[float(widths)] * C] * R
        gated = False if gated is None else gated
    else:
        idx = np.asarray(widths)
        if idx.shape != (R, C):
            raise ValueError(f"width indices must have shape ({R}, {C}), got {idx.shape}")
        per_block = [[cfg.widths[i] for i in row] for row in idx.tolist()]
        gated = True if gated is None else gated
    total = frames * N * L + frames * N * D  # encoder, input projection
    total += frames * D * cfg.n_src * N + cfg.n_src * frames * N * L  # output projection, decoder
    for row in per_block:
        total += sum(block_chunk_macs(cfg, w) for w in row)
        total += _inter_attention_macs(cfg, row, C)
        if gated:
            total += C * ((2 * D + 1) * cfg.gate_hidden + cfg.gate_hidden * len(cfg.widths))
    return int(total)


def _inter_attention_macs(cfg: ModelConfig, row: list[float], C: int) -> int:
    """Attention across chunks: at every intra position, C queries x C keys over the widest heads (all of the inter
    stack when it does not follow the widths: ``slim_inter`` false, or BiLSTM inter layers)."""
    K = cfg.chunk_size
    if cfg.inter_type == "lstm":  # full width, no attention (slimsep.models.rnn_block)
        return cfg.inter_layers * C * K * lstm_token_macs(cfg)
    if not cfg.slim_inter:
        return cfg.inter_layers * 2 * K * C * C * cfg.attn_dim + cfg.inter_layers * C * K * token_macs(cfg, 1.0)
    d_max = attn_width(cfg, max(row))
    return cfg.inter_layers * 2 * K * C * C * d_max


def gmac_per_second(cfg: ModelConfig, widths: float | Sequence[Sequence[int]] | np.ndarray,
                    n_samples: int, gated: bool | None = None) -> float:
    """GMAC per second of audio for one utterance."""
    return count_macs(cfg, widths, n_samples, gated) / 1e9 / (n_samples / cfg.sample_rate)


def measured_macs(model, mix, widths) -> int:  # noqa: ANN001 (DSN imported lazily: no import cycle)
    """MACs of one forward pass as ``torch.utils.flop_counter.FlopCounterMode`` counts them (FLOPs / 2).

    The counter has no formula for the CPU flash-attention kernel, so the standard SDPA formula is
    registered for it; everything else is the counter's own accounting.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

    def cpu_sdpa(q_shape, k_shape, v_shape, *args, **kwargs) -> int:  # noqa: ANN001
        return sdpa_flop_count(q_shape, k_shape, v_shape)

    mapping = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: cpu_sdpa}
    with torch.inference_mode(), FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        model(mix, widths)
    return counter.get_total_flops() // 2
