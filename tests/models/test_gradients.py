"""Training signal reaches what it must: each width's slice of the slimmable weights, and the gates."""
from __future__ import annotations

import pytest
import torch

from slimsep.models import DSN, get_config

INTRA_FF1 = "blocks.0.intra.0.ff1.weight"
INTRA_FF2 = "blocks.0.intra.0.ff2.weight"


def _loss_grads(model: DSN, widths) -> dict[str, torch.Tensor]:  # noqa: ANN001
    model.zero_grad()
    out = model(torch.randn(2, 1600), widths)
    out.estimates.pow(2).mean().backward()
    return {n: p.grad for n, p in model.named_parameters()}


@pytest.mark.parametrize("width", [0.125, 0.25, 0.5, 1.0])
def test_static_width_updates_exactly_its_slice(width: float) -> None:
    model = DSN(get_config("tiny", slim_inter=False)).train()
    grads = _loss_grads(model, width)
    hidden = model.cfg.ffn_at(width)
    g1, g2 = grads[INTRA_FF1], grads[INTRA_FF2]
    assert g1[:hidden].abs().sum() > 0 and g2[:, :hidden].abs().sum() > 0
    assert g1[hidden:].abs().sum() == 0 and g2[:, hidden:].abs().sum() == 0


def test_mixed_assignment_reaches_every_width_slice() -> None:
    model = DSN(get_config("tiny")).train()
    n_chunks = model.n_chunks(1600)
    assignment = torch.arange(n_chunks).remainder(len(model.cfg.widths)).view(1, -1)
    grads = _loss_grads(model, assignment)
    ff1 = grads[INTRA_FF1]
    bounds = [0] + [model.cfg.ffn_at(w) for w in model.cfg.widths]
    for width, lo, hi in zip(model.cfg.widths, bounds, bounds[1:]):
        assert ff1[lo:hi].abs().sum() > 0, f"no gradient in the units only width {width} uses"


def test_gates_receive_gradient_in_training() -> None:
    model = DSN(get_config("tiny")).train()
    grads = _loss_grads(model, None)
    for name, grad in grads.items():
        if name.startswith("gates."):
            assert grad is not None and grad.abs().sum() > 0, name
    assert all(g is not None for g in grads.values()), "some parameter got no gradient with gated widths"
