"""A small tree of evaluation conditions made of generated mixtures, and a tiny model file."""
from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from slimsep.data.synthetic import SyntheticSpec, make_example
from slimsep.models import DSN, get_config, save_model


@pytest.fixture(scope="session")
def condition_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("conditions")
    for overlap in (1.0, 0.25):
        folder = root / "test" / f"ov{round(overlap * 100)}_na0"
        for i in range(2):
            mix, src = make_example(SyntheticSpec(seconds=1.5, overlap=overlap, lead_silence=0.3), i)
            for name, audio in (("mix_clean", mix), ("mix_both", mix), ("s1", src[0]), ("s2", src[1])):
                (folder / name).mkdir(parents=True, exist_ok=True)
                sf.write(folder / name / f"m{i}.wav", audio.numpy(), 8000, subtype="FLOAT")
    return root


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(DSN(get_config("tiny")), tmp_path_factory.mktemp("m") / "tiny" / "model.pt")
