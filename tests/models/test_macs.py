"""The analytic MAC table agrees with PyTorch's FLOP counter (MAC = FLOP / 2, one multiply-add)."""
from __future__ import annotations

import pytest
import torch

from slimsep.models import DSN, count_macs, get_config, gmac_per_second, width_costs
from slimsep.models.macs import measured_macs

N_SAMPLES = 2400


@pytest.mark.parametrize("slim_inter", [True, False])
@pytest.mark.parametrize("width", [0.125, 0.25, 0.5, 1.0])
def test_static_width_matches_counter(width: float, slim_inter: bool) -> None:
    model = DSN(get_config("tiny", n_heads=4, slim_inter=slim_inter)).eval()
    assert count_macs(model.cfg, width, N_SAMPLES) == measured_macs(model, torch.randn(1, N_SAMPLES), width)


NORMS = {"in_norm": "global", "stack_norm": True, "final_norm": True}  # norms add no MACs (not counted)


@pytest.mark.parametrize("width", [0.125, 1.0])
def test_norm_options_match_counter(width: float) -> None:
    model = DSN(get_config("tiny", n_heads=4, **NORMS)).eval()
    assert count_macs(model.cfg, width, N_SAMPLES) == measured_macs(model, torch.randn(1, N_SAMPLES), width)


CONV = {"intra_type": "conv", "intra_layers": 3, "conv_kernel": 3}  # depthwise conv counted as the counter does


@pytest.mark.parametrize("width", [0.125, 0.5, 1.0])
def test_conv_intra_layers_match_counter(width: float) -> None:
    model = DSN(get_config("tiny", n_heads=4, **CONV)).eval()
    assert count_macs(model.cfg, width, N_SAMPLES) == measured_macs(model, torch.randn(1, N_SAMPLES), width)


@pytest.mark.parametrize("options", [{"slim_inter": True}, {"slim_inter": False}, {"slim_inter": True, **NORMS},
                                     {"slim_inter": True, **CONV}])
def test_mixed_assignment_matches_counter(options: dict) -> None:
    model = DSN(get_config("tiny", n_heads=4, n_blocks=2, **options)).eval()
    C = model.n_chunks(N_SAMPLES)
    idx = torch.randint(0, 4, (2, C))
    assert count_macs(model.cfg, idx.numpy(), N_SAMPLES, gated=False) == measured_macs(model, torch.randn(1, N_SAMPLES), idx)


def test_gated_run_counts_the_gate_and_chosen_widths() -> None:
    model = DSN(get_config("tiny", n_heads=4)).eval()
    mix = torch.randn(1, N_SAMPLES)
    chosen = model(mix).width_idx[0]
    assert count_macs(model.cfg, chosen.numpy(), N_SAMPLES, gated=True) == measured_macs(model, mix, None)


def test_cost_falls_with_width_and_slim_inter_beats_amdahl() -> None:
    cfg = get_config("small")
    costs = width_costs(cfg)
    assert costs[-1] == pytest.approx(1.0) and all(a < b for a, b in zip(costs, costs[1:]))
    n = 4 * cfg.sample_rate
    whole = [count_macs(cfg, w, n) / count_macs(cfg, 1.0, n) for w in cfg.widths]
    assert all(a < b for a, b in zip(whole, whole[1:]))
    assert whole[0] <= 0.25, "slimmest width must cost at most a quarter of the full model"
    static_inter = cfg.replace(slim_inter=False)
    assert count_macs(static_inter, cfg.widths[0], n) / count_macs(static_inter, 1.0, n) > 0.4
    assert gmac_per_second(cfg, 1.0, 8000) == pytest.approx(count_macs(cfg, 1.0, 8000) / 1e9)
