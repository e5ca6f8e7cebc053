"""Where does width help? Per-chunk quality of a slimmable network at each static width, and whether a gate could
know it in advance.

A DSN saves compute only on chunks where a slim width does about as well as full width, and its gates can act on
that only where the gap is predictable from what they see before the block runs (``WidthGate.features``). The
complexity loss assumes the gap follows talker activity (design.md §3: single-talker and silent chunks are easy).
This module measures the gap per chunk and how much of it the gate's features or the talker count explain.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from slimsep.losses import chunk_quality, pit_si_sdr, reorder_sources, silent_references
from slimsep.models import DSN


@dataclass
class WidthProfile:
    """One mixture's chunks: ``quality`` [C, W] segmental SNR [dB] at each static width of ``model.cfg.widths``
    (utterance-level PIT per width); ``talkers`` [C] references active in the chunk; ``features`` [C, 2D + 1] the
    first gate's input; ``gate_width`` [C] the mean width over blocks that the gates chose (when asked)."""
    quality: np.ndarray
    talkers: np.ndarray
    features: np.ndarray
    gate_width: np.ndarray | None = None


@torch.inference_mode()
def width_profile(model: DSN, mix: torch.Tensor, ref: torch.Tensor, gated: DSN | None = None,
                  silence_db: float = -30.0) -> WidthProfile:
    """Profile one mixture ``mix`` [T] with references ``ref`` [S, T] (same rate as the model).

    ``gated``: a model whose gates choose (usually gates trained on ``model``); its chosen widths are returned.
    Raises ``SlimsepError`` (from the model) on a mixture of the wrong shape.
    """
    mix, ref = mix.reshape(1, -1), ref.unsqueeze(0)
    spans = model.chunk_spans(mix.shape[-1])
    quality = []
    for width in model.cfg.widths:
        est = model(mix, width).estimates
        quality.append(chunk_quality(reorder_sources(est, pit_si_sdr(est, ref)[1]), ref, spans)[0])
    talkers = (~silent_references(ref, spans, silence_db)).sum(1)[0]
    _, chunks, energy = model.front(mix)
    features = model.gates[0].features(chunks, energy)[0]
    gate_width = None
    if gated is not None:
        chosen = gated(mix).width_idx[0]  # [R, C]
        gate_width = torch.tensor(gated.cfg.widths)[chosen].mean(0).numpy()
    return WidthProfile(torch.stack(quality, -1).numpy(), talkers.numpy(), features.numpy(), gate_width)


def held_out_r2(features: np.ndarray, target: np.ndarray, groups: np.ndarray,
                alphas: tuple[float, ...] = (1.0, 10.0, 100.0, 1000.0, 1e4), seed: int = 0) -> float:
    """Share of ``target`` [N]'s variance that a ridge regression on ``features`` [N, F] explains on held-out
    groups (a third of the mixtures, ``groups`` [N] their ids), best over ``alphas``; 0 means nothing predictable.

    Features are standardised on the training part. Coefficient of determination, 1 - MSE / Var on the held-out
    part (Var about the training mean). Raises ValueError with fewer than three groups.
    """
    ids = np.unique(groups)
    if len(ids) < 3:
        raise ValueError(f"held_out_r2 needs at least 3 mixtures, got {len(ids)}")
    test = np.isin(groups, np.random.default_rng(seed).permutation(ids)[: len(ids) // 3])
    x = (features - features[~test].mean(0)) / (features[~test].std(0) + 1e-6)
    offset = target[~test].mean()  # the intercept, left out of the penalty
    a, y = x[~test], target[~test] - offset
    baseline = np.mean((target[test] - offset) ** 2)
    best = -np.inf
    for alpha in alphas:
        coef = np.linalg.solve(a.T @ a + alpha * np.eye(a.shape[1]), a.T @ y)
        best = max(best, 1.0 - np.mean((x[test] @ coef + offset - target[test]) ** 2) / baseline)
    return float(best)
