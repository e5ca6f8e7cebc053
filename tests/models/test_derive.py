"""DSNs derived from a trained one: restricted to some widths (gates choose as before among the rest), or with
fresh gates; the separator is the same in both."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.models import DSN, fresh_gates, get_config, load_model, restrict_widths, save_model
from tests.conftest import randomise

KEEP = (0.125, 1.0)


def model_that_never_picks(dropped: tuple[int, ...]) -> DSN:
    """A randomised ``small`` DSN whose gates cannot choose the width indices in ``dropped``."""
    model = randomise(DSN(get_config("small"))).eval()
    with torch.no_grad():
        for gate in model.gates:
            gate.out.bias[list(dropped)] = -1e4
    return model


def test_static_widths_run_the_same_separator() -> None:
    model = randomise(DSN(get_config("small"))).eval()
    subset = restrict_widths(model, KEEP)
    assert subset.cfg.widths == KEEP
    mix = torch.randn(1, 8000)
    with torch.inference_mode():
        for width in KEEP:
            torch.testing.assert_close(subset(mix, width).estimates, model(mix, width).estimates)


def test_gates_choose_as_before_among_the_kept_widths() -> None:
    """Where the full gates never pick a dropped width, the restricted DSN is the same function."""
    model = model_that_never_picks((1, 2))
    subset = restrict_widths(model, KEEP)
    mix = torch.randn(2, 16000)
    with torch.inference_mode():
        full, sub = model(mix), subset(mix)
    assert set(full.width_idx.unique().tolist()) <= {0, 3}, "the fixture should only pick widths 1/8 and 1"
    torch.testing.assert_close(sub.estimates, full.estimates)
    assert torch.equal(torch.tensor(KEEP)[sub.width_idx], torch.tensor(get_config("small").widths)[full.width_idx])


def test_restricted_model_saves_and_reloads_with_its_widths(tmp_path: Path) -> None:
    subset = restrict_widths(randomise(DSN(get_config("tiny"))), (0.25, 1.0))
    path = save_model(subset, tmp_path / "subset.pt")
    assert load_model(path).cfg.widths == (0.25, 1.0)


def test_subset_shares_no_weights_with_the_original() -> None:
    model = DSN(get_config("tiny"))
    subset = restrict_widths(model, KEEP)
    with torch.no_grad():
        next(subset.parameters()).add_(1.0)
    assert not torch.equal(next(subset.parameters()), next(model.parameters()))


@pytest.mark.parametrize("widths, message", [((0.125, 0.3, 1.0), "not one of the model's widths"),
                                             ((0.125, 0.5), "must keep the full width")])
def test_bad_subsets_are_clear_errors(widths: tuple[float, ...], message: str) -> None:
    with pytest.raises(SlimsepError, match=message):
        restrict_widths(DSN(get_config("tiny")), widths)


def test_fresh_gates_keep_the_separator_and_start_like_a_new_model() -> None:
    trained = randomise(DSN(get_config("tiny"))).eval()
    fresh = fresh_gates(trained, seed=3)
    torch.manual_seed(3)
    new = DSN(get_config("tiny"))
    for ours, theirs in zip(fresh.gates.state_dict().values(), new.gates.state_dict().values()):
        assert torch.equal(ours, theirs)
    mix = torch.randn(1, 4000)
    with torch.inference_mode():
        torch.testing.assert_close(fresh(mix, 0.5).estimates, trained(mix, 0.5).estimates)
