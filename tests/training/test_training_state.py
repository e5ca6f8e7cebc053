"""Issue 28's training cases: damaged, truncated and hostile checkpoints, bad config ranges, a run folder that is a
file, missing sources and signals: one line each (a non-zero exit for a stopped run), never a traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
import torch

from slimsep.cli.main import main
from tests.data.conftest import mini_open_corpus  # noqa: F401 - a fixture used below
from tests.training.conftest import FAST, REPO, copy_run


def _train(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["train", *FAST, *args])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_resume_with_last_ckpt_damaged_or_truncated(finished_run: Path, tmp_path: Path, damage: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged last.ckpt gets one line, and --resume goes on from the newest intact checkpoint."""
    run = copy_run(finished_run, tmp_path)
    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000] if damage == "truncated" else b"\0garbage" * 100)
    code, err = _train(capsys, "--set", "trainer.max_steps=6", "-o", str(run), "--resume")
    assert code == 0, err
    assert f"slimsep: note: {last}: damaged or unsafe checkpoint" in err and "resuming from best-4.ckpt" in err
    assert torch.load(last, weights_only=True)["global_step"] == 6


def test_resume_with_no_intact_checkpoint_says_so(finished_run: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_run(finished_run, tmp_path)
    for ckpt in (run / "checkpoints").glob("*.ckpt"):
        ckpt.write_bytes(ckpt.read_bytes()[:500])
    code, err = _train(capsys, "--set", "trainer.max_steps=6", "-o", str(run), "--resume")
    assert code == 2 and err.splitlines()[-1].startswith(f"slimsep: error: {run}: nothing to resume: no intact "
                                                          f"checkpoint"), err


class Hostile:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.mkdir, (str(self.marker),)


def test_resume_with_a_hostile_pickle_under_force_no_weights_only(finished_run: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_run(finished_run, tmp_path)
    marker = tmp_path / "the_pickle_ran"
    for ckpt in (run / "checkpoints").glob("*.ckpt"):
        torch.save({"state_dict": {}, "payload": Hostile(marker)}, ckpt)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    code, err = _train(capsys, "--set", "trainer.max_steps=6", "-o", str(run), "--resume")
    assert not marker.exists(), "the pickle's code ran"
    assert code == 2 and "damaged or unsafe checkpoint" in err and "nothing to resume" in err


def test_last_ckpt_is_written_atomically(finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill during the write (here: the write fails half-way) leaves the previous last.ckpt whole."""
    from slimsep.training.checkpoints import AtomicCheckpointIO

    last = copy_run(finished_run, tmp_path) / "checkpoints" / "last.ckpt"
    before = last.read_bytes()

    def killed(obj: object, file: object) -> None:  # torch.save gets an open file (a full disk is then ENOSPC)
        file.write(b"half a checkpoint") if hasattr(file, "write") else Path(file).write_bytes(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        AtomicCheckpointIO().save_checkpoint({"state_dict": {}}, last)
    assert last.read_bytes() == before and [p.name for p in last.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("override,key", [
    ("optim.lr=nan", "optim.lr"), ("optim.lr=0", "optim.lr"), ("loader.batch_size=0", "loader.batch_size"),
    ("trainer.max_steps=-1", "trainer.max_steps"), ("data.seconds=.inf", "data.seconds"),
])
def test_set_optim_lr_nan_batch_size_0_max_steps_minus_1(tmp_path: Path, override: str, key: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _train(capsys, "--set", override, "-o", str(tmp_path / "run"))
    assert code == 2 and err.startswith(f"slimsep: error: config entry '{key}' must be a finite number > 0, got ")
    assert err.count("\n") == 1 and not (tmp_path / "run").exists()


def test_train_output_naming_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "run.txt"
    blocker.write_text("keep")
    code, err = _train(capsys, "-o", str(blocker))
    assert code == 2 and err == f"slimsep: error: {blocker}: output folder is a file, not a folder\n"
    assert blocker.read_text() == "keep"


@pytest.mark.parametrize("problem", ["missing", "other_rate", "cut_short"])
def test_training_sources_missing_from_disk(mini_open_corpus: Path, tmp_path: Path,  # noqa: F811
                                           problem: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Checked before the first step, not when the file is first drawn (cut short: issue 45, which failed in the
    simulator mid-run)."""
    victim = mini_open_corpus / "sources" / "train" / "c" / "c_1.wav"
    listed = sf.info(victim).frames
    if problem == "missing":
        victim.unlink()
    elif problem == "other_rate":
        sf.write(victim, sf.read(victim)[0], 16000)
    else:
        sf.write(victim, sf.read(victim)[0][:1000], 8000)
    code, err = main(["train", "--set", "data.corpus=open", "--set", f"data.root={mini_open_corpus}", "--set",
                      "trainer.enable_progress_bar=false", "-o", str(tmp_path / "run")]), capsys.readouterr().err
    message = {"missing": "file does not exist", "other_rate": "sample rate is 16000 Hz, the training data must be",
               "cut_short": f"holds 1000 samples, but {mini_open_corpus / 'manifest.csv'} lists {listed}"}[problem]
    assert code == 2 and err.startswith(f"slimsep: error: {victim}: {message}") and err.count("\n") == 1, err


def test_sigterm_during_train(tmp_path: Path) -> None:
    """The run stops after its current step, saves last.ckpt, says so in one line and exits 143."""
    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "slimsep.cli.main", "train", *FAST, "--set",
                             "trainer.max_steps=100000", "-o", str(run)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not last.is_file() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert last.is_file(), "the run never wrote a checkpoint"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    line = err.strip().splitlines()[-1]
    assert line.startswith("slimsep: stopped by SIGTERM at step ") and line.endswith(f"saved {last}; continue with "
                                                                                     f"--resume"), err[-2000:]
    step = int(line.split("at step ")[1].split(";")[0])
    assert torch.load(last, weights_only=True)["global_step"] == step
    assert not (run / "model.pt").exists()
