"""Learning-rate factors (multipliers of the peak rate) for a schedule with no end step.

Why: a campaign trains at a constant rate for as long as it takes (``optim.schedule: constant``). Its weights stay
noisy at that rate; the EMA (``optim.ema_decay``) smooths them, and a short linear cool-down at the end of a
*branch* of the run gives the low-rate finish of warmup-stable-decay (WSD: Hu et al. 2024, "MiniCPM", §4; Hägele
et al. 2024, "Scaling laws and compute-optimal training beyond fixed training durations") without ending the main
run, which goes on from its own folder at the peak rate.
"""
from __future__ import annotations


def wsd_factor(step: int, warmup_steps: int, decay_start: int | None = None, decay_steps: int = 0,
               floor: float = 0.0) -> float:
    """Multiplier of the peak rate at optimizer step ``step`` (0-based).

    Linear warm-up over ``warmup_steps`` (``(step + 1) / warmup_steps``), then 1.0. From ``decay_start`` on (when
    given and ``decay_steps`` > 0) it falls linearly to ``floor`` over ``decay_steps`` steps and stays there.
    Raises ValueError for a negative ``decay_steps`` or a ``floor`` outside [0, 1].
    """
    if decay_steps < 0 or not 0.0 <= floor <= 1.0:
        raise ValueError(f"decay_steps must be >= 0 and floor in [0, 1], got {decay_steps} and {floor}")
    factor = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    if decay_start is None or decay_steps == 0 or step < decay_start:
        return factor
    done = min(1.0, (step - decay_start) / decay_steps)
    return min(factor, 1.0 - (1.0 - floor) * done)
