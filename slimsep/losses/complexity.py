"""The signal-dependent complexity loss: penalise computation where the output is already good.

For each chunk c (sample span from ``model.chunk_spans``) and the utterance-level PIT permutation:

    q_c = 10 log10( sum_s ||t_s||^2 / sum_s ||t_s - e_s||^2 ) over the chunk's samples, t_s = a_s r_s
          segmental SNR of the separated output [dB] against the utterance-level SI-SDR target (a_s = <e_s, r_s> /
          ||r_s||^2), so that q, like the SI-SDR the network is trained on, ignores the output's overall gain
    w_c = 1                                   if every reference is silent in the chunk (the easiest case)
        = sigmoid((q_c - q0) / q_scale)       otherwise (single-talker chunks score high q and so count as easy)
    L   = mean over blocks, chunks of  w_c * sum_k p_ck * cost_k        (cost_k relative to full width = 1)

q is computed from the current (dynamic) output and detached: it is a difficulty weight, not a training target.
Measured against r_s itself, q was about -26 dB in every chunk of the shipped model (whose outputs, trained by a
scale-invariant loss, are ~26 dB louder than the references), so w was ~1e-7 everywhere but in silent chunks.
The penalty acts on the *expected* cost under the gate's soft probabilities p, so it has a gradient, while the hard
Gumbel sample still decides what runs. ``target_cost`` switches to the budget form (mean expected cost - target)^2.
A reference is silent in a chunk when its energy there is below ``silence_db`` relative to its mean energy over the
utterance, so the guard is gain-invariant.
"""
from __future__ import annotations

import torch

from slimsep.losses.sisdr import si_sdr_target


def chunk_energies(signal: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """Energy of ``signal`` [..., T] inside each span [C, 2] -> [..., C], via a cumulative sum (no Python loop)."""
    csum = torch.nn.functional.pad(signal.pow(2).cumsum(-1), (1, 0))
    return csum[..., spans[:, 1]] - csum[..., spans[:, 0]]


def silent_references(ref: torch.Tensor, spans: torch.Tensor, silence_db: float = -30.0) -> torch.Tensor:
    """[B, S, C] True where reference s is silent in chunk c: its mean power there is below ``silence_db`` [dB]
    relative to its mean power over the utterance (gain-invariant). ``ref`` [B, S, T], ``spans`` [C, 2]."""
    lengths = (spans[:, 1] - spans[:, 0]).clamp(min=1).to(ref)
    mean_power = ref.pow(2).mean(-1, keepdim=True)  # [B, S, 1]
    return chunk_energies(ref, spans) / lengths < mean_power * 10 ** (silence_db / 10) + 1e-12


def chunk_quality(est: torch.Tensor, ref: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """Segmental SNR q [B, C] in dB of ``est`` [B, S, T] (already aligned to ``ref`` by PIT) in each chunk.

    The target is the utterance-level SI-SDR target ``a_s r_s`` (without SI-SDR's mean removal, which would leak
    into silent chunks), so q ignores the output's overall gain like the SI-SDR loss does.
    """
    target = si_sdr_target(est, ref)
    err_e = chunk_energies(target - est, spans).sum(1)
    return 10 * torch.log10((chunk_energies(target, spans).sum(1) + 1e-8) / (err_e + 1e-8))


def easiness_weight(q: torch.Tensor, q0: float = 8.0, q_scale: float = 2.0) -> torch.Tensor:
    """w = sigmoid((q - q0) / q_scale): the complexity loss's weight of a chunk of quality ``q`` [dB] (any shape)."""
    return torch.sigmoid((q - q0) / q_scale)


def chunk_difficulty_weights(est: torch.Tensor, ref: torch.Tensor, spans: torch.Tensor, q0: float = 8.0,
                             q_scale: float = 2.0, silence_db: float = -30.0) -> torch.Tensor:
    """Easiness weight w [B, C] in [0, 1] per chunk; ``est`` must already be aligned to ``ref`` [B, S, T]."""
    with torch.no_grad():
        weight = easiness_weight(chunk_quality(est, ref, spans), q0, q_scale)
        silent = silent_references(ref, spans, silence_db).all(1)
        return torch.where(silent, torch.ones_like(weight), weight)


def expected_cost(gate_probs: torch.Tensor, costs: torch.Tensor) -> torch.Tensor:
    """``gate_probs`` [B, R, C, W] -> expected relative cost [B, R, C]."""
    return (gate_probs * costs.to(gate_probs)).sum(-1)


def complexity_loss(gate_probs: torch.Tensor, costs: torch.Tensor, weights: torch.Tensor,
                    target_cost: float | None = None) -> torch.Tensor:
    """Signal-weighted expected cost (or the budget form when ``target_cost`` is given)."""
    cost = expected_cost(gate_probs, costs)
    if target_cost is not None:
        return (cost.mean() - target_cost) ** 2
    return (weights.unsqueeze(1) * cost).mean()
