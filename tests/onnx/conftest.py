"""Tiny random models, each exported once per test module, and a signal whose chunks differ in loudness."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.models import DSN, get_config
from slimsep.onnx.export import export_onnx
from slimsep.onnx.runtime import OnnxDSN
from tests.conftest import randomise

VARIANTS = {
    "slim_inter": {},
    "full_inter": {"slim_inter": False},
    "with_skip": {"widths": (0.0, 0.5, 1.0), "n_blocks": 2, "inter_layers": 2},
    # The recipe-control options (ModelConfig.in_norm, stack_norm, final_norm), with and without slim inter layers.
    "norms": {"widths": (0.0, 0.5, 1.0), "in_norm": "global", "stack_norm": True, "final_norm": True},
    "norms_full_inter": {"slim_inter": False, "in_norm": "global", "stack_norm": True, "final_norm": True},
    # Convolutional intra-chunk layers (slimsep.models.conv_block): one graph per width like the transformer's.
    "conv_intra": {"widths": (0.0, 0.5, 1.0), "intra_type": "conv", "intra_layers": 2, "in_norm": "global"},
    # DPRNN's BiLSTM across chunks (slimsep.models.rnn_block): one full-width inter graph per block.
    "lstm_inter": {"widths": (0.0, 0.5, 1.0), "inter_type": "lstm", "slim_inter": False, "lstm_hidden": 12,
                   "n_blocks": 2},
}


@dataclass
class Exported:
    model: DSN
    folder: Path
    runtime: OnnxDSN


def export_variant(name: str, folder: Path) -> Exported:
    torch.manual_seed(0)
    model = randomise(DSN(get_config("tiny", **VARIANTS[name]))).eval()
    with torch.no_grad():  # a gate whose choice depends on the chunk, so budgets give mixed widths
        for gate in model.gates:
            gate.out.weight.mul_(10.0)
    export_onnx(model, folder)
    return Exported(model, folder, OnnxDSN(folder, threads=1))


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_variant(request.param, tmp_path_factory.mktemp(f"onnx_{request.param}"))


def mixture(n_samples: int, batch: int = 2, seed: int = 0) -> np.ndarray:
    """Noise with a loudness that changes every few hundred samples: chunks differ, so gates differ."""
    rng = np.random.default_rng(seed)
    envelope = np.repeat(10.0 ** rng.uniform(-3, 0, size=(batch, n_samples // 300 + 1)), 300, axis=1)
    return (rng.standard_normal((batch, n_samples)) * envelope[:, :n_samples]).astype(np.float32)
