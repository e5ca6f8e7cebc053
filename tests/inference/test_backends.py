"""The backend protocol (PyTorch side; the ONNX side is in tests/onnx) and the report's bookkeeping."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.inference.backends import TorchBackend, as_backend, load_backend
from slimsep.inference.report import WidthLog, owned_chunks
from slimsep.models import DSN, count_macs, get_config
from slimsep.models import geometry


def test_torch_backend_runs_the_model_and_knows_its_chunks() -> None:
    model = DSN(get_config("tiny")).eval()
    backend = as_backend(model, precision="float32")
    assert isinstance(backend, TorchBackend) and backend.name == "torch" and backend.cfg is model.cfg
    x = np.random.default_rng(0).standard_normal(3000).astype(np.float32)
    est, width_idx = backend.run(x, 0.5, budget=0.0)
    with torch.inference_mode():
        ref = model(torch.from_numpy(x)[None], 0.5)
    np.testing.assert_array_equal(est, ref.estimates[0].numpy())
    np.testing.assert_array_equal(width_idx, ref.width_idx[0].numpy())
    np.testing.assert_array_equal(backend.chunk_spans(3000), geometry.chunk_spans(model.cfg, 3000))


def test_load_backend_refuses_unknown_backends_and_onnx_without_a_folder() -> None:
    with pytest.raises(SlimsepError, match="unknown backend 'tflite'"):
        load_backend(None, "tflite")
    with pytest.raises(SlimsepError, match="--backend onnx needs --model DIR"):
        load_backend(None, "onnx")


def test_overlapping_windows_count_each_chunk_once() -> None:
    cfg = get_config("tiny")
    sr, windows = 8000, [(0, 16000, 0, 4000), (12000, 28000, 4000, 0)]  # (start, end, before, after)
    log, owned_centres = WidthLog(cfg, gated=True), []
    for start, end, before, after in windows:
        C = geometry.n_chunks(cfg, end - start)
        width_idx = np.full((cfg.n_blocks, C), len(cfg.widths) - 1)
        log.add(width_idx, end - start, start, end, before, after, sr)
        centres, owned = owned_chunks(cfg, C, start, end, before, after, sr)
        owned_centres += list(centres[owned])
    times = [t for t, _ in log.widths_over_time()]
    assert times == sorted(times) and len(set(np.round(times, 6))) == len(times)
    assert max(t for t in owned_centres if t < 1.75) < 1.75 <= min(t for t in owned_centres if t >= 1.75)
    assert log.width_share() == {f"{w:g}": float(w == 1.0) for w in cfg.widths}
    assert log.counts.sum() == cfg.n_blocks * len(times)
    assert log.macs == sum(count_macs(cfg, np.full((cfg.n_blocks, geometry.n_chunks(cfg, 16000)), 3), 16000,
                                      gated=True) for _ in windows)
