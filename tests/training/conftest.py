"""A tiny stage-1 model trained once per session, shared by the training tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from slimsep.training import load_config, train

REPO = Path(__file__).resolve().parents[2]
QUIET = ["trainer.enable_progress_bar=false"]


def run_stage(config: str, out: Path, *overrides: str) -> Path:
    cfg = load_config(REPO / "configs" / config, [*QUIET, *overrides])
    return train(cfg, out)


@pytest.fixture(scope="session")
def stage1_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stage1")
    return run_stage("tiny_synthetic.yaml", out / "run", "trainer.max_steps=30", "trainer.val_check_interval=30",
                     "data.seconds=2.0", "data.lead_silence=0.8", "data.overlap=0.25")
