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


SILENT_BELOW_DB = -60.0  # a reference this far below its mixture's energy is an absent talker
SILENT_CAP_DB = 30.0  # the best score an output facing an absent talker can earn


def silent_output_score(est: torch.Tensor, mix: torch.Tensor, cap_db: float = SILENT_CAP_DB) -> torch.Tensor:
    """``est`` [B, S, T], ``mix`` [B, T] -> [B, S] how quiet each output is: ``10 log10(|x|^2 / (|s^|^2 + tau
    |x|^2))`` dB with tau = 10^(-cap/10), the thresholded SNR of Wisdom et al. (2020, "Unsupervised sound separation
    using mixture invariant training", eq. 4) for a zero reference, against the mixture ``x``.

    SI-SDR is undefined for a silent reference (its 0/0 is whatever eps makes it), so an output that should be
    silent needs its own score: 0 dB when the output holds the whole mixture's energy, ``cap_db`` when silent, with
    a gradient that fades near the cap instead of growing.
    """
    power = mix.pow(2).sum(-1, keepdim=True)
    return 10 * torch.log10(power / (est.pow(2).sum(-1) + 10 ** (-cap_db / 10) * power + 1e-12) + 1e-12)


def pit_si_sdr(est: torch.Tensor, ref: torch.Tensor, eps: float = 1e-8,
               mix: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Best-permutation mean SI-SDR per utterance [B], and the permutation [B, S].

    ``est``, ``ref`` [B, S, T]. ``perm[b, i]`` is the estimate assigned to reference ``i``; exhaustive search (S! is
    tiny for S<=3). With the mixture ``mix`` [B, T], a reference more than ``SILENT_BELOW_DB`` below it (an absent
    talker) scores its estimate by :func:`silent_output_score` instead of SI-SDR; without it, or when every talker
    is present, the result is plain PIT SI-SDR.
    """
    pair = pairwise_si_sdr(est, ref, eps)
    if mix is not None:
        silent = ref.pow(2).sum(-1) <= 10 ** (SILENT_BELOW_DB / 10) * mix.pow(2).sum(-1, keepdim=True)  # [B, S_ref]
        pair = torch.where(silent[:, None, :], silent_output_score(est, mix)[:, :, None], pair)
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
