"""Two DDP processes on CPU (gloo) train a few steps, and every rank draws the same random widths."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from slimsep.models import get_config
from slimsep.training import load_config
from slimsep.training.module import SeparationModule
from tests.training.conftest import REPO


def test_ranks_draw_the_same_widths() -> None:
    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml")
    a, b = (SeparationModule(get_config("tiny").to_dict(), cfg) for _ in range(2))
    assert (a._random_assignment(a._generator(), 2, 4000) == b._random_assignment(b._generator(), 2, 4000)).all()


@pytest.mark.slow
def test_two_process_ddp_on_cpu(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "slimsep.cli.main", "train", "--config", "configs/tiny_synthetic.yaml",
           "-o", str(tmp_path / "ddp"), "--set", "trainer.devices=2", "--set", "trainer.strategy=ddp",
           "--set", "trainer.max_steps=4", "--set", "trainer.val_check_interval=4", "--set", "trainer.threads=1",
           "--set", "trainer.enable_progress_bar=false"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "ddp" / "model.pt").is_file()
