"""Frame and chunk geometry and attention widths: the one home of these formulas, torch-free.

The DSN, the MAC count, the ONNX export and the numpy ONNX runtime all size their tensors from here, so a change of
framing cannot make one of them disagree with the others. Units: samples at the model's rate, encoder frames (hop
``L/2`` samples), chunks (``K`` frames, hop ``K/2`` frames).

- frames: the encoder pads the signal at the end to whole frames, ``F = 1 + ceil(max(0, T - L) / (L/2))``;
- chunks: the separator pads the frames at the end to whole chunks, ``C = 1 + ceil(max(0, F - K) / (K/2))``, i.e.
  ``(C + 1) * K/2`` frames, at least one chunk;
- attention width: ``ceil(u * heads) * head_dim`` channels of Q, K and V at width ``u`` (0 at width 0).

Also here: the constants that the torch model and the numpy runtime must share (positional-encoding scale, the
additive attention bias of an inactive head) and the numpy twins of the positional encoding and the head mask.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from slimsep.models.config import ModelConfig

MASKED_BIAS = -1e4  # additive attention bias for keys whose head is inactive in their chunk
POSITION_SCALE = math.log(10000.0)  # sinusoidal encoding: frequency of channel pair i is exp(-2i/dim * scale)

Count = TypeVar("Count")  # an int, or a traced 0-d integer tensor in the ONNX front graph


def n_frames(cfg: ModelConfig, n_samples: int) -> int:
    """Encoder frames for ``n_samples`` (the signal padded at the end to a whole frame)."""
    L, hop = cfg.kernel_size, cfg.kernel_size // 2
    return 1 + max(0, -(-(n_samples - L) // hop))


def padded_samples(cfg: ModelConfig, n_samples: int) -> int:
    """Samples after the encoder's end padding: ``(F - 1) * L/2 + L``."""
    return (n_frames(cfg, n_samples) - 1) * (cfg.kernel_size // 2) + cfg.kernel_size


def chunked_frames(cfg: ModelConfig, frames: Count) -> Count:
    """Frames after the separator's end padding to whole chunks, ``max(K, ceil(F / (K/2)) * K/2) = (C + 1) * K/2``.

    Plain arithmetic only, so that the ONNX front graph traces it on a 0-d tensor and stays valid for any length.
    """
    K, hop = cfg.chunk_size, cfg.chunk_size // 2
    total = (frames + hop - 1) // hop * hop
    return total + (total < K) * (K - total)


def n_chunks(cfg: ModelConfig, n_samples: int) -> int:
    """Dual-path chunks for ``n_samples``."""
    return chunked_frames(cfg, n_frames(cfg, n_samples)) // (cfg.chunk_size // 2) - 1


def frames_and_chunks(cfg: ModelConfig, n_samples: int) -> tuple[int, int]:
    """(encoder frames, dual-path chunks) for ``n_samples``."""
    return n_frames(cfg, n_samples), n_chunks(cfg, n_samples)


def samples_for_chunks(cfg: ModelConfig, chunks: int) -> int:
    """The shortest signal that fills ``chunks`` chunks exactly (``(C + 1) * K/2`` frames, no padding)."""
    frames = (chunks + 1) * (cfg.chunk_size // 2)
    return (frames - 1) * (cfg.kernel_size // 2) + cfg.kernel_size


def chunk_seconds(cfg: ModelConfig) -> float:
    """A chunk's length in seconds, counted as ``K`` frame hops (``K * L/2`` samples; its exact span, clipped by
    :func:`chunk_spans`, is ``L/2`` samples longer)."""
    return cfg.chunk_size * (cfg.kernel_size // 2) / cfg.sample_rate


def chunk_spans(cfg: ModelConfig, n_samples: int) -> np.ndarray:
    """Sample range ``[start, end)`` of each chunk, clipped to the signal: ``[C, 2]`` int64."""
    hop_f, K = cfg.kernel_size // 2, cfg.chunk_size
    start = np.arange(n_chunks(cfg, n_samples), dtype=np.int64) * (K // 2) * hop_f
    end = start + (K - 1) * hop_f + cfg.kernel_size
    return np.stack([np.minimum(start, n_samples), np.minimum(end, n_samples)], axis=1)


def attn_width(cfg: ModelConfig, width: float) -> int:
    """Channels of Q, K and V (active heads times head size) at ``width``."""
    return cfg.heads_at(width) * cfg.attn_head_dim


def positional_encoding(length: int, dim: int) -> np.ndarray:
    """Sinusoidal positional encoding ``[length, dim]`` float32 (the numpy twin of the model's torch table)."""
    pos = np.arange(length, dtype=np.float32)[:, None]
    freq = np.exp(np.arange(0, dim, 2, dtype=np.float32) * np.float32(-POSITION_SCALE / dim))
    table = np.zeros((length, dim), dtype=np.float32)
    table[:, 0::2] = np.sin(pos * freq)
    table[:, 1::2] = np.cos(pos * freq[: dim // 2])
    return table


def head_mask(cfg: ModelConfig, width_idx: np.ndarray, rows: int, h_max: int) -> np.ndarray:
    """Additive attention mask ``[B*rows, h_max, 1, C]`` for width indices ``width_idx`` [B, C]: key chunk c is
    visible in head h iff c uses head h (the numpy twin of the grouped inter layer's mask)."""
    B, C = width_idx.shape
    heads = np.array([cfg.heads_at(w) for w in cfg.widths])
    visible = np.arange(h_max)[None, :, None] < heads[width_idx][:, None, :]  # [B, h, C]
    bias = np.where(visible, np.float32(0), np.float32(MASKED_BIAS)).astype(np.float32)
    return np.broadcast_to(bias[:, None, :, None, :], (B, rows, h_max, 1, C)).reshape(B * rows, h_max, 1, C)
