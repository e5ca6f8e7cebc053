"""In-place distillation for slimmable training: narrow widths also learn from the full width's output."""
from __future__ import annotations

import torch

from slimsep.losses.sisdr import pit_si_sdr, reorder_sources, si_sdr


def teacher_targets(full_est: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """The full-width estimates, detached and put in the references' speaker order."""
    return reorder_sources(full_est.detach(), perm)


def student_loss(est: torch.Tensor, ref: torch.Tensor, teacher: torch.Tensor, alpha: float) -> torch.Tensor:
    """(1 - alpha) * PIT loss against the references + alpha * loss against the aligned teacher.

    The student is aligned to the references first and that same permutation is used for the teacher term (the
    teacher is in reference order), so both terms pull each output towards the same speaker.
    """
    score, perm = pit_si_sdr(est, ref)
    if alpha <= 0:
        return -score.mean()
    distill = si_sdr(reorder_sources(est, perm), teacher).mean(-1)
    return -((1 - alpha) * score + alpha * distill).mean()
