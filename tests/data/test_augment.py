"""Speed perturbation moves a talker's pitch and rate together and keeps the mixture the sum of its parts."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.data import build_dataset
from slimsep.data.augment import change_speed, check_speed_range, perturb_talkers
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
