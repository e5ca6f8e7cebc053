"""slimsep.evaluation.width_gain and scripts/width_gain.py: per-chunk quality per width, talker counts, held-out R^2."""
from __future__ import annotations

import shutil
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


def _script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_width_gain_script_prints_the_tables(condition_tree: Path, tiny_model_path: Path) -> None:
    out = _script(str(tiny_model_path), "--data", str(condition_tree), "--split", "test", "--task", "sep_clean",
                  "--limit", "2", "--gates", str(tiny_model_path))
    assert out.returncode == 0, out.stderr
    assert "4 mixtures" in out.stdout and "ov25_na0" in out.stdout and "gain 1 vs 0.125 [dB]" in out.stdout
    assert "1 of 4 mixtures held out" in out.stdout and "too few for R^2" in out.stdout
    assert "standard deviation" in out.stdout and "gates' width with the gain" in out.stdout
    assert "complexity weight w = sigmoid((q - 8) / 2)" in out.stdout


def test_width_gain_skips_r2_below_three_mixtures(condition_tree: Path, tiny_model_path: Path,
                                                  tmp_path: Path) -> None:
    shutil.copytree(condition_tree / "test" / "ov25_na0", tmp_path / "test" / "ov25_na0")  # one condition, 2 mixtures
    out = _script(str(tiny_model_path), "--data", str(tmp_path), "--split", "test", "--task", "sep_clean")
    assert out.returncode == 0, out.stderr
    assert "held-out R^2: skipped, 2 mixtures" in out.stdout


def test_width_gain_refuses_what_would_make_its_numbers_meaningless(condition_tree: Path, tiny_model_path: Path,
                                                                    tmp_path: Path) -> None:
    from slimsep.models import DSN, get_config, save_model

    static = save_model(DSN(get_config("tiny")), tmp_path / "static.pt", metadata={"stage": "static"})
    torch.manual_seed(1)
    other = save_model(DSN(get_config("tiny")), tmp_path / "other.pt")  # another separator, same config
    data = ["--data", str(condition_tree), "--split", "test", "--task", "sep_clean", "--limit", "1"]
    cases = [([str(static), *data], "trained at one width (stage static)"),
             ([str(tiny_model_path), *data, "--gates", str(other)], "separator weights differ"),
             ([str(tiny_model_path), *data, "--limit", "0"], "--limit must be at least 1")]
    for args, message in cases:
        out = _script(*args)
        assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_block_widths_scores_every_constant_assignment(condition_tree: Path, tiny_model_path: Path,
                                                      tmp_path: Path) -> None:
    """scripts/block_widths.py: W ** R rows, the uniform full width the costliest; a static model is refused."""
    from slimsep.models import DSN, get_config, load_model, save_model

    script = SCRIPT.parent / "block_widths.py"
    cfg = load_model(tiny_model_path).cfg
    out = subprocess.run([sys.executable, str(script), str(tiny_model_path), "--data", str(condition_tree),
                          "--split", "test", "--task", "sep_clean", "--limit", "1"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines()[2:] if "|" in line]
    assert len(rows) == len(cfg.widths) ** cfg.n_blocks
    assert rows[-1].split("|")[0].strip() == ", ".join(["1"] * cfg.n_blocks)
    static = save_model(DSN(get_config("tiny")), tmp_path / "static.pt", metadata={"stage": "static"})
    out = subprocess.run([sys.executable, str(script), str(static), "--data", str(condition_tree), "--split", "test"],
                         capture_output=True, text=True)
    assert out.returncode != 0 and "trained at one width" in out.stderr and "Traceback" not in out.stderr
