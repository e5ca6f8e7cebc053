"""A tiny model file and small recordings for inference tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.data.synthetic import SyntheticSpec, make_example
from slimsep.models import DSN, get_config, save_model


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(DSN(get_config("tiny")), tmp_path_factory.mktemp("model") / "tiny.pt")


@pytest.fixture
def mixture_wav(tmp_path: Path) -> Path:
    mix, _ = make_example(SyntheticSpec(seconds=3.0), 1)
    path = tmp_path / "in" / "mix.wav"
    path.parent.mkdir()
    sf.write(path, mix.numpy(), 8000)
    return path


def write_wav(path: Path, audio: np.ndarray, sr: int = 8000, subtype: str = "FLOAT") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, sr, subtype=subtype)
    return path
