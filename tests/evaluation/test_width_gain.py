"""slimsep.evaluation.width_gain and scripts/width_gain.py: per-chunk quality per width, talker counts, held-out R^2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.evaluation.width_gain import held_out_r2, width_profile
from slimsep.losses import silent_references

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "width_gain.py"


def test_width_profile_counts_talkers_per_chunk(tiny_model) -> None:
    n = 8000
    ref = torch.randn(2, n)
    ref[1, : n // 2] = 0.0  # the second talker starts halfway
    profile = width_profile(tiny_model, ref.sum(0), ref, gated=tiny_model)
    spans = tiny_model.chunk_spans(n)
    C, W = len(spans), len(tiny_model.cfg.widths)
    assert profile.quality.shape == (C, W) and np.isfinite(profile.quality).all()
    assert profile.features.shape == (C, 2 * tiny_model.cfg.d_model + 1)
    assert profile.gate_width.shape == (C,)
    first_half, second_half = spans[:, 1] <= n // 2, spans[:, 0] >= n // 2
    assert (profile.talkers[first_half.numpy()] == 1).all() and (profile.talkers[second_half.numpy()] == 2).all()


def test_silent_references_is_gain_invariant() -> None:
    ref = torch.randn(1, 2, 400)
    ref[:, 0, :200] *= 1e-3  # 60 dB down in the first half: silent
    spans = torch.tensor([[0, 200], [200, 400]])
    for gain in (1e-3, 1.0, 1e3):
        assert silent_references(gain * ref, spans).tolist() == [[[True, False], [False, False]]]


def test_held_out_r2_finds_a_linear_target_and_nothing_in_noise() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    groups = np.repeat(np.arange(30), 20)
    assert held_out_r2(x, x @ np.arange(5.0) + 0.1 * rng.normal(size=600), groups) > 0.95
    assert held_out_r2(x, rng.normal(size=600), groups) < 0.05
    with pytest.raises(ValueError, match="at least 3 mixtures"):
        held_out_r2(x[:40], x[:40, 0], groups[:40])


def test_width_gain_script_prints_the_tables(condition_tree: Path, tiny_model_path: Path) -> None:
    out = subprocess.run([sys.executable, str(SCRIPT), str(tiny_model_path), "--data", str(condition_tree),
                          "--split", "test", "--task", "sep_clean", "--limit", "2", "--gates", str(tiny_model_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "4 mixtures" in out.stdout and "ov25_na0" in out.stdout and "gate features" in out.stdout
    assert "correlation of the gates' width" in out.stdout
