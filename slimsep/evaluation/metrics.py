"""Per-utterance separation metrics: SI-SDR(i) (our PIT implementation) and BSS-eval SDR(i), SIR(i) and SAR
(fast_bss_eval).

Improvements are relative to the unprocessed mixture used as the estimate of every source. SIR says how far the
other talker is pushed down (what a listener hears as "separated"), SAR how much the model adds of its own.
"""
from __future__ import annotations

import fast_bss_eval
import numpy as np
import torch

from slimsep.losses import pit_si_sdr, si_sdr


def bss_metrics(est: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Mean BSS-eval SDR, SIR and SAR over sources (512-tap filter), best permutation; ``[S, T]`` arrays."""
    sdr, sir, sar, _ = fast_bss_eval.bss_eval_sources(ref.astype(np.float64), est.astype(np.float64),
                                                      filter_length=512, load_diag=1e-10, clamp_db=150)
    return {"sdr": float(np.mean(sdr)), "sir": float(np.mean(sir)), "sar": float(np.mean(sar))}


def separation_metrics(est: torch.Tensor, ref: torch.Tensor, mix: torch.Tensor, sdr: bool = True) -> dict:
    """``est``/``ref`` [S, T], ``mix`` [T] -> si_sdr, si_sdri, and (with ``sdr``) sdr, sdri, sir, siri, sar in dB."""
    est, ref, mix = est.double(), ref.double(), mix.double()
    score, _ = pit_si_sdr(est[None], ref[None])
    base = si_sdr(mix.expand_as(ref), ref).mean()
    out = {"si_sdr": float(score), "si_sdri": float(score - base)}
    if sdr:
        e, r, m = est.numpy(), ref.numpy(), mix.expand_as(ref).numpy()
        out.update(bss_metrics(e, r))
        unprocessed = bss_metrics(m, r)  # the same 512-tap projections as the estimates: SDRi, SIRi start at 0
        out["sdri"] = out["sdr"] - unprocessed["sdr"]
        out["siri"] = out["sir"] - unprocessed["sir"]
    return out
