"""Per-utterance separation metrics: SI-SDR(i) (our PIT implementation) and BSS-eval SDR(i), SIR(i) and SAR
(fast_bss_eval).

Improvements are relative to the unprocessed mixture used as the estimate of every source. SIR says how far the
other talker is pushed down (what a listener hears as "separated"), SAR how much the model adds of its own.
"""
from __future__ import annotations

import math

import fast_bss_eval
import numpy as np
import torch

from slimsep.errors import SlimsepError
from slimsep.losses import pit_si_sdr, si_sdr


def unit_peak_scale(x: torch.Tensor) -> float:
    """The power of two that brings ``x``'s peak into [0.5, 1) (exact in floating point); 1 for all zeros."""
    peak = float(x.abs().max()) if x.numel() else 0.0
    return math.ldexp(1.0, -math.frexp(peak)[1]) if peak > 0 else 1.0


def bss_metrics(est: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Mean BSS-eval SDR, SIR and SAR over sources (512-tap filter), best permutation; ``[S, T]`` arrays."""
    sdr, sir, sar, _ = fast_bss_eval.bss_eval_sources(ref.astype(np.float64), est.astype(np.float64),
                                                      filter_length=512, load_diag=1e-10, clamp_db=150)
    return {"sdr": float(np.mean(sdr)), "sir": float(np.mean(sir)), "sar": float(np.mean(sar))}


SILENT_DB = -60.0  # a reference this far below the mixture's power is silent: its SI-SDR measures only noise
SAME_CORRELATION = 0.99  # references this correlated are one signal twice: no separation to measure


def degenerate_reason(ref: torch.Tensor, mix: torch.Tensor) -> str | None:
    """Why an item (``ref`` [S, T], ``mix`` [T]) cannot be scored, or None.

    A silent reference scores about -60 dB whatever the estimate, and identical references about -100 dB (the
    PIT baseline is perfect), so either would drag a condition's mean by tens of dB (issue 19).
    """
    ref, mix = ref.double(), mix.double()
    mix_power = float(mix.pow(2).mean())
    if mix_power == 0:
        return "the mixture is silent"
    for k, source in enumerate(ref):
        power = float(source.pow(2).mean())
        if power <= mix_power * 10 ** (SILENT_DB / 10):
            level = "all zeros" if power == 0 else f"{10 * np.log10(power / mix_power):.0f} dB below the mixture"
            return f"reference s{k + 1} is silent ({level})"
    for i in range(len(ref)):
        for j in range(i + 1, len(ref)):
            corr = float(torch.dot(ref[i], ref[j]) / (ref[i].norm() * ref[j].norm()))
            if abs(corr) >= SAME_CORRELATION:
                return f"references s{i + 1} and s{j + 1} are the same signal (correlation {corr:.3f})"
    return None


def separation_metrics(est: torch.Tensor, ref: torch.Tensor, mix: torch.Tensor, sdr: bool = True) -> dict:
    """``est``/``ref`` [S, T], ``mix`` [T] -> si_sdr, si_sdri, and (with ``sdr``) sdr, sdri, sir, siri, sar in dB.

    Every metric here is blind to the estimates' gain and to one gain shared by references and mixture, so both
    are brought to a unit peak first (float64, a power of two): signals x 1e30 would otherwise overflow the
    energies (issue 45), and tiny ones sink below the ``eps`` of SI-SDR. Raises SlimsepError for NaN or Inf."""
    est, ref, mix = est.double(), ref.double(), mix.double()
    if not all(bool(torch.isfinite(x).all()) for x in (est, ref, mix)):
        raise SlimsepError("estimates, references or mixture hold NaN or Inf: no metric can be computed")
    est = est * unit_peak_scale(est)
    shared = unit_peak_scale(torch.cat([ref.reshape(-1), mix.reshape(-1)]))
    ref, mix = ref * shared, mix * shared
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
