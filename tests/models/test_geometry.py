"""Frame and chunk geometry: the formulas, the model's actual tensor shapes, and the traced form the ONNX front uses."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from slimsep.models import DSN, get_config
from slimsep.models import geometry as g


def test_frames_and_chunks_of_known_lengths() -> None:
    cfg = get_config("tiny")  # L = 16 (hop 8), K = 40 (hop 20)
    assert g.frames_and_chunks(cfg, 1) == (1, 1)
    assert g.frames_and_chunks(cfg, 16) == (1, 1)
    assert g.frames_and_chunks(cfg, 17) == (2, 1)  # padded up to a whole frame
    assert g.padded_samples(cfg, 17) == 24
    assert g.frames_and_chunks(cfg, g.samples_for_chunks(cfg, 3)) == (80, 3)
    assert g.frames_and_chunks(cfg, g.samples_for_chunks(cfg, 3) + 1) == (81, 4)
    np.testing.assert_array_equal(g.chunk_spans(cfg, 200), [[0, 200]])
    np.testing.assert_array_equal(g.chunk_spans(cfg, 500), [[0, 328], [160, 488], [320, 500]])


@pytest.mark.parametrize("n_samples", [1, 15, 16, 17, 161, 333, 648, 649, 4321])
def test_the_model_is_sized_by_the_geometry(n_samples: int) -> None:
    model = DSN(get_config("tiny")).eval()
    with torch.inference_mode():
        enc = model.encode(torch.zeros(1, n_samples))
        out = model(torch.randn(1, n_samples))
    assert enc.shape[-1] == g.n_frames(model.cfg, n_samples)
    assert out.width_idx.shape[-1] == g.n_chunks(model.cfg, n_samples) == len(g.chunk_spans(model.cfg, n_samples))


def test_chunked_frames_is_the_same_on_a_traced_tensor() -> None:
    cfg = get_config("small")
    for frames in range(1, 400):
        assert int(g.chunked_frames(cfg, torch.as_tensor(frames))) == g.chunked_frames(cfg, frames)


def test_attention_width_counts_active_heads() -> None:
    cfg = get_config("small_transformer")  # 8 heads of 16 channels
    assert [g.attn_width(cfg, w) for w in (0.0, 0.125, 0.25, 0.5, 1.0)] == [0, 16, 32, 64, 128]
    cfg = get_config("small")  # 2 heads of 64: every width below 1 keeps one head
    assert [g.attn_width(cfg, w) for w in (0.0, 0.125, 0.25, 0.5, 1.0)] == [0, 64, 64, 64, 128]
