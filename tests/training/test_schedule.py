"""The warmup-stable-decay factor (``slimsep.training.schedule``) and its use by the trainer's constant schedule."""
from __future__ import annotations

import pytest

from slimsep.errors import SlimsepError
from slimsep.training import load_config
from slimsep.training.schedule import wsd_factor


def test_warm_up_then_constant_with_no_end_step() -> None:
    assert wsd_factor(0, 4) == pytest.approx(0.25)
    assert wsd_factor(3, 4) == pytest.approx(1.0)
    assert [wsd_factor(s, 4) for s in (10, 10_000, 10 ** 7)] == [1.0, 1.0, 1.0]
    assert wsd_factor(0, 0) == 1.0


def test_the_cool_down_falls_linearly_to_its_floor_and_stays_there() -> None:
    kw = {"warmup_steps": 10, "decay_start": 100, "decay_steps": 50, "floor": 0.1}
    assert wsd_factor(99, **kw) == 1.0
    assert wsd_factor(100, **kw) == pytest.approx(1.0)
    assert wsd_factor(125, **kw) == pytest.approx(0.55)
    assert wsd_factor(150, **kw) == pytest.approx(0.1)
    assert wsd_factor(10_000, **kw) == pytest.approx(0.1)
    # a cool-down that starts inside the warm-up never raises the rate above the warm-up's
    assert wsd_factor(2, 10, decay_start=0, decay_steps=4) == pytest.approx(0.3)


def test_bad_cool_down_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="decay_steps"):
        wsd_factor(0, 1, 0, -1)
    with pytest.raises(ValueError, match="floor"):
        wsd_factor(0, 1, 0, 5, floor=1.5)


def test_the_trainer_cools_down_a_constant_schedule() -> None:
    from slimsep.models import get_config
    from slimsep.training.module import SeparationModule

    cfg = load_config(None, ["optim.schedule=constant", "optim.warmup_steps=10", "optim.decay_start=100",
                             "optim.decay_steps=100", "optim.min_lr_ratio=0.0", "trainer.max_steps=1000000"])
    module = SeparationModule(get_config("tiny").to_dict(), cfg)
    assert [module._lr_factor(s) for s in (50, 100, 150, 200, 5000)] == pytest.approx([1.0, 1.0, 0.5, 0.0, 0.0])


@pytest.mark.parametrize("overrides", [
    ["optim.schedule=constant", "optim.decay_steps=100"],  # no start
    ["optim.schedule=constant", "optim.decay_start=100"],  # no length
    ["optim.schedule=cosine", "optim.decay_start=100", "optim.decay_steps=100"],  # cosine already decays
    ["optim.schedule=constant", "optim.decay_start=-1", "optim.decay_steps=100"],
])
def test_a_half_specified_cool_down_is_a_one_line_error(overrides: list[str]) -> None:
    with pytest.raises(SlimsepError, match="optim.decay"):
        load_config(None, overrides)
