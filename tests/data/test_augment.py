"""Augmentation: speed perturbation, pitch shift and gains change the talkers and keep the mixture the sum of its
parts."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.data import build_dataset
from slimsep.data.augment import (change_speed, check_range, check_speed_range, gain_mixture, gain_talkers,
                                  perturb_talkers, pitch_shift, shift_talkers, time_stretch)
from slimsep.errors import SlimsepError


def _peak_hz(x: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / sample_rate)[spectrum.argmax()])


def test_faster_is_shorter_and_higher() -> None:
    t = np.arange(8000) / 8000
    tone = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    fast = change_speed(tone, 1.1, 8000)
    assert abs(fast.size - 8000 / 1.1) <= 2 and fast.dtype == np.float32
    assert _peak_hz(fast, 8000) == pytest.approx(220, abs=3)
    assert change_speed(tone, 1.0, 8000) is tone


def test_mixture_is_rebuilt_from_the_changed_talkers() -> None:
    rng = np.random.default_rng(0)
    signals = {k: rng.standard_normal(4000).astype(np.float32) for k in ("s1", "s2", "noise")}
    signals["mix_clean"] = signals["s1"] + signals["s2"]
    signals["mix_both"] = signals["mix_clean"] + signals["noise"]
    out = perturb_talkers(signals, (0.9, 1.1), 8000)
    assert all(v.shape == (4000,) for v in out.values())
    assert not np.allclose(out["s1"], signals["s1"])
    np.testing.assert_allclose(out["mix_clean"], out["s1"] + out["s2"], atol=1e-6)
    np.testing.assert_allclose(out["mix_both"], out["mix_clean"] + signals["noise"], atol=1e-6)
    assert np.all(out["s2"][-300:] == 0)  # faster talker 2 ends early; the rest is silence


def test_speed_range_is_checked() -> None:
    assert check_speed_range(None) is None
    assert check_speed_range([0.9, 1.1]) == (0.9, 1.1)
    for bad in ([1.1, 0.9], [0.1, 1.0], [1.0, 3.0], 0.9, [0.9], ["fast", "slow"]):
        with pytest.raises(SlimsepError, match="speed_range"):
            check_speed_range(bad)


def test_training_mixtures_follow_speed_range(mini_open_corpus: Path) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_clean", "segment": 1.5, "n_items": 4}
    plain = build_dataset(spec, "train")
    sped = build_dataset({**spec, "speed_range": [0.8, 0.85]}, "train")
    (mix_p, src_p), (mix_s, src_s) = plain[1], sped[1]
    assert src_s.shape == src_p.shape and not torch.allclose(src_s, src_p)
    assert torch.allclose(mix_s, src_s.sum(0), atol=1e-6)


def _signals(n: int = 4000) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    signals = {k: (0.1 * rng.standard_normal(n)).astype(np.float32) for k in ("s1", "s2", "noise")}
    signals["mix_clean"] = signals["s1"] + signals["s2"]
    signals["mix_both"] = signals["mix_clean"] + signals["noise"]
    return signals


def test_time_stretch_changes_length_not_pitch() -> None:
    t = np.arange(8000) / 8000
    tone = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    for rate in (0.8, 1.25):
        out = time_stretch(tone, rate)
        assert out.size == round(8000 / rate)
        assert _peak_hz(out[1000:-1000], 8000) == pytest.approx(200, abs=8)
    np.testing.assert_allclose(time_stretch(tone, 1.0), tone, atol=1e-5)


def test_pitch_shift_moves_pitch_keeps_length_and_level() -> None:
    t = np.arange(8000) / 8000
    tone = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    for semitones in (-2.0, 3.0):
        out = pitch_shift(tone, semitones, 8000)
        assert out.shape == tone.shape and out.dtype == np.float32
        assert _peak_hz(out[1000:-1000], 8000) == pytest.approx(200 * 2 ** (semitones / 12), abs=8)
        assert np.sqrt(np.mean(out ** 2)) == pytest.approx(np.sqrt(np.mean(tone ** 2)), rel=1e-3)
    assert pitch_shift(tone, 0.0, 8000) is tone


def test_talker_shift_and_gains_rebuild_the_mixtures() -> None:
    signals = _signals()
    for out in (shift_talkers(signals, (-1.0, 2.0), 8000), gain_talkers(signals, (-6.0, 3.0))):
        assert all(v.shape == (4000,) for v in out.values())
        np.testing.assert_allclose(out["mix_clean"], out["s1"] + out["s2"], atol=1e-6)
        np.testing.assert_allclose(out["mix_both"], out["mix_clean"] + signals["noise"], atol=1e-6)
    gained = gain_talkers(signals, (-6.0, 3.0))
    np.testing.assert_allclose(gained["s1"], signals["s1"] * 10 ** (-6 / 20), rtol=1e-5)
    np.testing.assert_allclose(gained["s2"], signals["s2"] * 10 ** (3 / 20), rtol=1e-5)


def test_mixture_gain_scales_input_and_targets_together() -> None:
    signals = _signals()
    out = gain_mixture(signals, -20.0)
    for k, v in signals.items():
        np.testing.assert_allclose(out[k], v * 0.1, rtol=1e-5)


def test_ranges_are_checked() -> None:
    assert check_range(None, "gain_range", -40, 40) is None
    assert check_range([-3, 3], "gain_range", -40, 40) == (-3.0, 3.0)
    for bad in ([3, -3], [-50, 0], "loud", [1]):
        with pytest.raises(SlimsepError, match="gain_range must be"):
            check_range(bad, "gain_range", -40, 40)


@pytest.mark.parametrize("key,value", [("pitch_range", [-2.0, -1.5]), ("gain_range", [-6.0, -5.0]),
                                       ("mix_gain_range", [-30.0, -25.0])])
def test_training_mixtures_follow_each_option(mini_open_corpus: Path, key: str, value: list[float]) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_clean", "segment": 1.5, "n_items": 4}
    (mix_p, src_p), (mix_a, src_a) = build_dataset(spec, "train")[1], build_dataset({**spec, key: value}, "train")[1]
    assert src_a.shape == src_p.shape and not torch.allclose(src_a, src_p)
    assert torch.allclose(mix_a, src_a.sum(0), atol=1e-6)
    if key == "mix_gain_range":
        assert 25 <= 20 * torch.log10(mix_p.norm() / mix_a.norm()) <= 30


def test_bad_option_is_one_clear_error(mini_open_corpus: Path) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "pitch_range": [3, -3]}
    with pytest.raises(SlimsepError, match="pitch_range"):
        build_dataset(spec, "train")
