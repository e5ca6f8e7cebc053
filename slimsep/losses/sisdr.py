"""Scale-invariant SDR and permutation-invariant training (PIT), shared by losses and metrics."""
from __future__ import annotations

import itertools

import torch


def si_sdr(est: torch.Tensor, ref: torch.Tensor, eps: float = 1e-8, zero_mean: bool = True,
           cap_db: float | None = None) -> torch.Tensor:
    """SI-SDR in dB over the last axis (Le Roux et al., 2019); any leading shape.

    ``cap_db`` gives a soft ceiling, ``10 log10(|t|^2 / (|e|^2 + tau |t|^2))`` with tau = 10^(-cap/10): an exact
    match is worth ``cap_db``, not +inf, and the gradient fades near it instead of growing.
    """
    if zero_mean:
        est = est - est.mean(-1, keepdim=True)
        ref = ref - ref.mean(-1, keepdim=True)
    target = si_sdr_target(est, ref, eps)
    noise = est - target
    power = target.pow(2).sum(-1)
    floor = 0.0 if cap_db is None else 10 ** (-cap_db / 10) * power
    return 10 * torch.log10((power + eps) / (noise.pow(2).sum(-1) + floor + eps))


def si_sdr_target(est: torch.Tensor, ref: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``a * ref`` with ``a = <est, ref> / ||ref||^2`` over the last axis: the reference at the estimate's gain."""
    return (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps) * ref


def pairwise_si_sdr(est: torch.Tensor, ref: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``est`` [B, S, T], ``ref`` [B, S, T] -> [B, S_est, S_ref] SI-SDR of every pairing."""
    return si_sdr(est.unsqueeze(2), ref.unsqueeze(1), eps=eps)


def pit_si_sdr(est: torch.Tensor, ref: torch.Tensor, eps: float = 1e-8) -> tuple[torch.Tensor, torch.Tensor]:
    """Best-permutation mean SI-SDR per utterance [B], and the permutation [B, S].

    ``perm[b, i]`` is the estimate assigned to reference ``i``; exhaustive search (S! is tiny for S<=3).
    """
    pair = pairwise_si_sdr(est, ref, eps)
    S = est.shape[1]
    perms = torch.tensor(list(itertools.permutations(range(S))), device=est.device)  # [P, S]
    refs = torch.arange(S, device=est.device)
    scores = pair[:, perms, refs].mean(-1)  # [B, P]
    best = scores.argmax(-1)
    return scores.gather(1, best[:, None]).squeeze(1), perms[best]


def reorder_sources(est: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """Reorder ``est`` [B, S, ...] so source ``i`` is ``est[b, perm[b, i]]`` (aligned to the references)."""
    index = perm.reshape(*perm.shape, *([1] * (est.dim() - 2))).expand(-1, -1, *est.shape[2:])
    return est.gather(1, index)
