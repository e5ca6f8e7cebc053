"""An exponential moving average of the weights, kept beside training (``optim.ema_decay``).

Why: a long run at a constant learning rate (``optim.schedule: constant``) keeps its weights noisy; their average
over the last ~1/(1 - decay) steps scores like a decayed run without ending the schedule, so a snapshot can be
shipped at any step and training goes on. Lightning's ``WeightAveraging`` does the bookkeeping: validation runs on
the average, a checkpoint's ``state_dict`` holds the average (its ``current_model_state`` the raw weights, which
``--resume`` restores), and the model file exported at the end holds the average.
"""
from __future__ import annotations

from lightning.pytorch.callbacks import WeightAveraging
from torch.optim.swa_utils import get_ema_avg_fn


class EMA(WeightAveraging):
    """``w_avg <- decay * w_avg + (1 - decay) * w`` after every optimizer step (the first step copies ``w``)."""

    def __init__(self, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        super().__init__(avg_fn=get_ema_avg_fn(decay))
        self.decay = decay
