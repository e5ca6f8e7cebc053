"""kill -9 in the middle of a run, then --resume: the same step count and optimizer state, nothing lost."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.training.conftest import REPO

ARGS = ["--config", "configs/tiny_synthetic.yaml", "--set", "trainer.max_steps=60", "--set",
        "trainer.checkpoint_every_n_steps=5", "--set", "trainer.val_check_interval=60", "--set",
        "trainer.enable_progress_bar=false", "--set", "trainer.threads=1"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "slimsep.cli.main", "train", *args]


def _ckpt_step(path: Path) -> tuple[int, float]:
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    adam_steps = {float(s["step"]) for s in ckpt["optimizer_states"][0]["state"].values()}
    assert len(adam_steps) == 1
    return ckpt["global_step"], adam_steps.pop()


@pytest.mark.slow
def test_kill_and_resume(tmp_path: Path) -> None:
    run = tmp_path / "run"
    proc = subprocess.Popen(_cli(*ARGS, "-o", str(run)), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if last.is_file() and _ckpt_step(last)[0] >= 15:
            break
        time.sleep(0.5)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_step, killed_adam = _ckpt_step(last)
    assert killed_adam == killed_step and not (run / "model.pt").exists()
    done = subprocess.run(_cli(*ARGS, "-o", str(run), "--resume"), cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    step, adam = _ckpt_step(last)
    assert step == 60 and adam == 60, "optimizer state must continue, not restart"
    assert (run / "model.pt").is_file()


def test_resume_without_a_run_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(_cli(*ARGS, "-o", str(tmp_path / "none"), "--resume"), cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "nothing to resume" in done.stderr
