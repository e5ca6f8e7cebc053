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


# A tiny synthetic run, fast enough for a module fixture: checkpoints every 2 steps, validation every 4.
FAST = ["--config", str(REPO / "configs" / "tiny_synthetic.yaml"), "--set", "trainer.enable_progress_bar=false",
        "--set", "trainer.threads=1", "--set", "data.n_train=8", "--set", "data.n_valid=1", "--set", "data.seconds=0.5",
        "--set", "trainer.checkpoint_every_n_steps=2", "--set", "trainer.val_check_interval=4"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 4-step run folder (checkpoints, config.yaml, model.pt); tests change copies of it."""
    from slimsep.cli.main import main

    run = tmp_path_factory.mktemp("run") / "run"
    assert main(["train", *FAST, "--set", "trainer.max_steps=4", "-o", str(run)]) == 0
    return run


def copy_run(run: Path, tmp_path: Path) -> Path:
    """A copy of ``run`` under ``tmp_path`` (the fixture's folder stays as it was for the other tests)."""
    import shutil

    return Path(shutil.copytree(run, tmp_path / "run"))
