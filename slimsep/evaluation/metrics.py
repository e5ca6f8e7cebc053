"""Per-utterance separation metrics: SI-SDR(i) (our PIT implementation) and BSS-eval SDR(i) (fast_bss_eval).

Improvements are relative to the unprocessed mixture used as the estimate of every source.
"""
from __future__ import annotations

import fast_bss_eval
import numpy as np
import torch

from slimsep.losses import pit_si_sdr, si_sdr


def bss_sdr(est: np.ndarray, ref: np.ndarray) -> float:
    """Mean BSS-eval SDR (512-tap distortion filter) over sources, best permutation; ``[S, T]`` arrays."""
    values = fast_bss_eval.sdr(ref.astype(np.float64), est.astype(np.float64), filter_length=512, load_diag=1e-10)
    return float(np.mean(values))


def separation_metrics(est: torch.Tensor, ref: torch.Tensor, mix: torch.Tensor, sdr: bool = True) -> dict:
    """``est``/``ref`` [S, T], ``mix`` [T] -> si_sdr, si_sdri, and (with ``sdr``) sdr, sdri in dB."""
    est, ref, mix = est.double(), ref.double(), mix.double()
    score, _ = pit_si_sdr(est[None], ref[None])
    base = si_sdr(mix.expand_as(ref), ref).mean()
    out = {"si_sdr": float(score), "si_sdri": float(score - base)}
    if sdr:
        e, r, m = est.numpy(), ref.numpy(), mix.expand_as(ref).numpy()
        out["sdr"] = bss_sdr(e, r)
        out["sdri"] = out["sdr"] - bss_sdr(m, r)
    return out
