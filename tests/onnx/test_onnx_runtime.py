"""The ONNX runtime against PyTorch: lengths other than the export example, budgets, static and forced widths."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.onnx.runtime import width_groups
from tests.onnx.conftest import Exported, mixture

LENGTHS = (333, 4321)  # the export example is 648 samples (3 chunks) at batch 2


def _assert_close(ours: np.ndarray, ref: torch.Tensor) -> None:
    ref_np = ref.detach().numpy()
    assert ours.shape == ref_np.shape
    scale = float(np.abs(ref_np).max())
    assert scale > 0 and np.abs(ours - ref_np).max() <= 1e-4 * scale


@pytest.mark.parametrize("n_samples", LENGTHS)
def test_gated_matches_torch_at_several_budgets(exported: Exported, n_samples: int) -> None:
    mix, chosen = mixture(n_samples), set()
    for budget in (0.0, 1.0, 5.0):
        with torch.inference_mode():
            ref = exported.model(torch.from_numpy(mix), budget=budget)
        out = exported.runtime(mix, budget=budget)
        np.testing.assert_array_equal(out.width_idx, ref.width_idx.numpy())
        _assert_close(out.estimates, ref.estimates)
        chosen |= {tuple(np.unique(out.width_idx))}
    if n_samples > 1000:
        assert any(len(c) > 1 for c in chosen), f"no budget mixed widths: {chosen}; the grouping goes untested"


@pytest.mark.parametrize("n_samples", LENGTHS)
def test_each_static_width_matches_torch(exported: Exported, n_samples: int) -> None:
    mix = mixture(n_samples, seed=1)
    for width in exported.model.cfg.widths:
        with torch.inference_mode():
            ref = exported.model(torch.from_numpy(mix), width)
        out = exported.runtime(mix, width)
        assert (out.width_idx == exported.model.cfg.width_index(width)).all()
        _assert_close(out.estimates, ref.estimates)


def test_forced_per_chunk_widths_match_torch(exported: Exported) -> None:
    mix, cfg = mixture(2500, seed=2), exported.model.cfg
    shape = (2, cfg.n_blocks, exported.runtime.n_chunks(2500))
    index = torch.randint(0, len(cfg.widths), shape, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        ref = exported.model(torch.from_numpy(mix), index)
    out = exported.runtime(mix, index.numpy())
    np.testing.assert_array_equal(out.width_idx, index.numpy())
    _assert_close(out.estimates, ref.estimates)


def test_every_chunk_skipped_matches_torch(exported: Exported) -> None:
    cfg = exported.model.cfg
    if cfg.widths[0] != 0:
        pytest.skip("no width 0 in this model")
    mix = mixture(1500, seed=3)
    index = np.zeros((cfg.n_blocks, exported.runtime.n_chunks(1500)), dtype=np.int64)
    with torch.inference_mode():
        ref = exported.model(torch.from_numpy(mix), torch.from_numpy(index))
    _assert_close(exported.runtime(mix, index).estimates, ref.estimates)


def test_geometry_and_width_errors(exported: Exported) -> None:
    runtime, model = exported.runtime, exported.model
    for n in (1, 333, 4321):
        assert runtime.n_chunks(n) == model.n_chunks(n)
        np.testing.assert_array_equal(runtime.chunk_spans(n), model.chunk_spans(n).numpy())
    assert runtime(mixture(500)[0]).estimates.shape == (1, 2, 500)
    with pytest.raises(SlimsepError, match="not one of the model's widths"):
        runtime(mixture(500), 0.3)
    with pytest.raises(SlimsepError, match="width indices must have shape"):
        runtime(mixture(500), np.zeros((5, 5), dtype=np.int64))


def test_width_groups_are_stable_and_complete() -> None:
    groups = width_groups(np.array([2, 0, 2, 1, 0]), 4)
    assert [(w, rows.tolist()) for w, rows in groups] == [(0, [1, 4]), (1, [3]), (2, [0, 2])]
