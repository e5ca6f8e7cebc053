"""A static width must equal a dense network built from the sliced weights (slicing, not masking)."""
from __future__ import annotations

import pytest
import torch

from slimsep.models import DSN, get_config
from tests.conftest import randomise


def dense_reference(model: DSN, width: float) -> DSN:
    """A full-width DSN whose layers are the first heads/FFN units (or conv hidden channels) of ``model``'s layers."""
    cfg = model.cfg
    heads, ffn = cfg.heads_at(width), cfg.ffn_at(width)
    d = heads * cfg.attn_head_dim
    ref = DSN(cfg.replace(n_heads=heads, head_dim=cfg.attn_head_dim, ffn_dim=ffn, widths=(1.0,)))
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith("qkv.weight"):
            value = value[:, :d]
        elif key.endswith("qkv.bias"):
            value = value[:, :d]
        elif key.split(".")[-2] == "proj" and key.endswith("weight"):
            value = value[:, :d]
        elif key.endswith("ff1.weight") or key.endswith("ff1.bias"):
            value = value[:ffn]
        elif key.endswith("ff2.weight"):
            value = value[:, :ffn]
        elif ".intra." in key and key.endswith(("inp.weight", "inp.bias", "depthwise", "depthwise_bias")):
            value = value[:ffn]
        elif ".intra." in key and key.endswith("out.weight"):
            value = value[:, :ffn]
        elif key.startswith("gates.") and key.endswith("out.weight"):
            value = value[-1:]
        elif key.startswith("gates.") and key.endswith("out.bias"):
            value = value[-1:]
        state[key] = value.clone()
    ref.load_state_dict(state)
    return ref.eval()


@pytest.mark.parametrize("width", [0.125, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("name", ["tiny", "small", "small_transformer"])
def test_static_width_equals_dense_sliced_network(name: str, width: float) -> None:
    model = randomise(DSN(get_config(name))).eval()
    ref = dense_reference(model, width)
    mix = torch.randn(2, 3001)
    with torch.no_grad():
        got = model(mix, width).estimates
        want = ref(mix, 1.0).estimates
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_narrow_width_differs_from_full() -> None:
    """Guards the test above against a model that ignores the width."""
    model = randomise(DSN(get_config("tiny"))).eval()
    mix = torch.randn(1, 2000)
    with torch.no_grad():
        assert not torch.allclose(model(mix, 0.125).estimates, model(mix, 1.0).estimates, atol=1e-3)


def test_width_zero_skips_intra_layers() -> None:
    cfg = get_config("tiny", widths=(0.0, 0.5, 1.0))
    model = randomise(DSN(cfg)).eval()
    mix = torch.randn(1, 2000)
    with torch.no_grad():
        out = model(mix, 0.0)
    assert out.estimates.shape == (1, 2, 2000)
    assert torch.isfinite(out.estimates).all()


def test_invalid_width_is_a_clear_error(tiny_model: DSN) -> None:
    from slimsep.errors import SlimsepError

    with pytest.raises(SlimsepError, match="not one of the model's widths"):
        tiny_model(torch.randn(1, 1000), 0.3)
    with pytest.raises(SlimsepError, match="width indices must have shape"):
        tiny_model(torch.randn(1, 1000), torch.zeros(5, 5, dtype=torch.long))
