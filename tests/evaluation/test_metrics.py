"""Metrics against values known in closed form."""
from __future__ import annotations

import math

import pytest
import torch

from slimsep.evaluation import separation_metrics
from slimsep.losses import pit_si_sdr, si_sdr


def test_scaled_reference_is_perfect_and_noise_gives_the_known_snr() -> None:
    ref = torch.randn(1, 16000, dtype=torch.float64)
    assert si_sdr(3.7 * ref, ref).item() > 100
    noise = torch.randn(1, 16000, dtype=torch.float64)
    noise = noise - noise.mean()
    ref = ref - ref.mean()
    noise = noise - (noise * ref).sum() / (ref * ref).sum() * ref  # orthogonal to the reference
    noise = noise * ref.norm() / noise.norm() * 10 ** (-10 / 20)  # 10 dB below
    assert si_sdr(ref + noise, ref).item() == pytest.approx(10.0, abs=1e-6)


def test_pit_picks_the_right_order() -> None:
    ref = torch.randn(1, 2, 8000)
    score, perm = pit_si_sdr(ref.flip(1) + 0.01 * torch.randn_like(ref), ref)
    assert perm.tolist() == [[1, 0]] and score.item() > 30


def test_identity_estimator_has_zero_improvement() -> None:
    ref = torch.randn(2, 8000)
    mix = ref.sum(0)
    m = separation_metrics(torch.stack([mix, mix]), ref, mix)
    assert m["si_sdri"] == pytest.approx(0.0, abs=1e-9) and m["sdri"] == pytest.approx(0.0, abs=1e-6)
    assert m["siri"] == pytest.approx(0.0, abs=0.05), "the mixture suppresses no talker"


def test_perfect_separation_improves_by_the_mixture_deficit() -> None:
    ref = torch.randn(2, 8000)
    mix = ref.sum(0)
    m = separation_metrics(ref, ref, mix)
    assert m["si_sdr"] > 100 and math.isfinite(m["sdr"]) and m["sdri"] > 20
    assert math.isfinite(m["sir"]) and m["siri"] > 20 and math.isfinite(m["sar"])


def test_suppressing_the_other_talker_shows_in_sir() -> None:
    ref = torch.randn(2, 8000)
    mix = ref.sum(0)
    leaky = ref + 0.1 * ref.flip(0)  # each estimate keeps 1 % of the other talker's power
    assert separation_metrics(leaky, ref, mix)["siri"] == pytest.approx(20.0, abs=1.0)
