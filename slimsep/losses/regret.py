"""What each width costs each chunk in SI-SDR: a measured target for the gates, instead of a guessed difficulty.

Why: the complexity loss prices compute by a chunk's quality q (``slimsep.losses.complexity``), but on the campaign
network the gain from width does not follow q (docs/training.md, "Why the gates do not follow the difficulty"),
and the separation loss reaches the gates only through one straight-through sample per chunk. The frozen stage-1
separator can instead *measure* what a slimmer width loses in each chunk: run block r at width k with every other
block at full width and compare the chunk's error energy with the full-width run's. To first order, the
utterance's SI-SDR falls by the sum of these losses over its chunks (and blocks, if the losses add up), so

    e_c(r, k) = sum_s || t_s - e_s ||^2 over chunk c's samples   (t_s = a_s r_s, the SI-SDR target; PIT per run)
    regret_c(r, k) = (10 / ln 10) * (e_c(r, k) - e_c(full)) / sum_c' e_c'(full)            [dB of SI-SDR]

from d(10 log10 E) = (10 / ln 10) dE / E, with E the utterance's error energy (chunks overlap by half, so every
sample counts twice in numerator and denominator alike). The gates then minimise the expected regret under their
soft choice plus a price on compute; the best choice of a chunk is the width with the least regret + price, so
what a gate learns is which chunks lose nothing by running slim.
"""
from __future__ import annotations

import math

import torch

from slimsep.losses.complexity import chunk_energies
from slimsep.losses.sisdr import si_sdr_target

DB_PER_NEPER_POWER = 10 / math.log(10)  # d(10 log10 E) / (dE / E)


def chunk_errors(est: torch.Tensor, ref: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """Error energy [B, C] of ``est`` [B, S, T] (already aligned to ``ref`` by PIT) in each chunk of ``spans``
    [C, 2], against the utterance-level SI-SDR target ``a_s r_s`` (units of the signal squared)."""
    return chunk_energies(si_sdr_target(est, ref) - est, spans).sum(1)


def width_regret(errors: torch.Tensor, full: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Regret [dB] of each (block, chunk, width): ``errors`` [B, R, C, W] from runs with one block slimmed,
    ``full`` [B, C] from the full-width run (the last width's column should equal it). Returns [B, R, C, W];
    negative where a slimmer width happened to do better."""
    total = full.sum(-1).clamp(min=eps)[:, None, None, None]
    return DB_PER_NEPER_POWER * (errors - full[:, None, :, None]) / total


def regret_loss(gate_probs: torch.Tensor, regret: torch.Tensor) -> torch.Tensor:
    """Expected SI-SDR loss [dB] per utterance under the gates' soft choice: ``gate_probs`` and ``regret``
    [B, R, C, W] -> scalar, summed over blocks and chunks (the first-order drop of the utterance's SI-SDR) and
    averaged over the batch. Differentiable in ``gate_probs`` only; ``regret`` is a measured target."""
    return (gate_probs * regret.detach()).sum((1, 2, 3)).mean()
