"""Issue 45's training cases: one run per folder (a lock, not a check), a resume with another stage's config,
checkpoints without a model config or with weights of another shape, and a full disk: one line each, no traceback,
and nothing in the run folder changed by a refused command."""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import lightning as L
import pytest
import torch

from slimsep.cli.main import main
from tests.training.conftest import FAST, REPO, copy_run

LOCK_NAME = ".slimsep-train.lock"  # slimsep.training.lock.LOCK_NAME, spelt out: users may meet it in a run folder
GATE = ["--config", str(REPO / "configs" / "tiny_synthetic_gate.yaml"), "--set", "trainer.enable_progress_bar=false",
        "--set", "trainer.threads=1", "--set", "data.n_train=8", "--set", "data.n_valid=1", "--set", "data.seconds=0.5"]


def _snapshot_of_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def held(tmp_path: Path):  # noqa: ANN201 - yields (folder, pid of the holder)
    """Another process holding the lock of ``tmp_path/run``, as a running ``slimsep train`` does."""
    folder = tmp_path / "run"
    folder.mkdir(exist_ok=True)
    code = (f"import fcntl, os, sys, time; fd = os.open({str(folder / LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, f'{os.getpid()}\\n'.encode()); print('held', flush=True); "
            "time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield folder, holder.pid
    holder.kill()
    holder.wait()


def _lock_is_free(folder: Path) -> bool:
    fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_second_train_into_a_folder_being_trained_is_refused(held: tuple[Path, int],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs into one folder both exited 0 and mixed their checkpoints; the second now gets one line."""
    folder, pid = held
    code = main(["train", *FAST, "--set", "trainer.max_steps=2", "-o", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err == (f"slimsep: error: {folder}: another slimsep train is running in this folder (process "
                                 f"{pid}); wait for it to end or choose another -o\n"), err
    assert sorted(p.name for p in folder.iterdir()) == [LOCK_NAME]


def test_resume_of_a_folder_being_trained_is_refused(finished_run: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_run(finished_run, tmp_path)
    before = _snapshot_of_files(run)
    code = (f"import fcntl, os, time; fd = os.open({str(run / LOCK_NAME)!r}, os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(["train", *FAST, "--set", "trainer.max_steps=4", "-o", str(run), "--resume"])
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert code == 2 and err.count("\n") == 1 and f"{run}: another slimsep train is running in this folder" in err
    assert _snapshot_of_files(run) == before


def test_the_lock_is_held_for_the_whole_run_and_released_after_it_even_after_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    seen = []
    fit = L.Trainer.fit

    def checked_fit(self: L.Trainer, *args: object, **kwargs: object) -> None:
        seen.append(_lock_is_free(run))
        fit(self, *args, **kwargs)
        seen.append(_lock_is_free(run))

    monkeypatch.setattr(L.Trainer, "fit", checked_fit)
    assert main(["train", *FAST, "--set", "trainer.max_steps=2", "-o", str(run)]) == 0
    assert seen == [False, False] and _lock_is_free(run)

    def crash(self: L.Trainer, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(L.Trainer, "fit", crash)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["train", *FAST, "--set", "trainer.max_steps=4", "-o", str(run), "--resume"])
    assert _lock_is_free(run)


@pytest.mark.slow
def test_two_train_commands_into_one_folder(tmp_path: Path) -> None:
    """The case as a user meets it: the first keeps training, the second exits non-zero with one line."""
    run = tmp_path / "run"
    cli = [sys.executable, "-m", "slimsep.cli.main", "train", *FAST, "-o", str(run)]
    first = subprocess.Popen([*cli, "--set", "trainer.max_steps=100000"], cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while not (run / "checkpoints").is_dir() and first.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert first.poll() is None, first.stderr.read()[-2000:]
        second = subprocess.run([*cli, "--set", "trainer.max_steps=2"], cwd=REPO, capture_output=True, text=True,
                                timeout=300)
        assert second.returncode == 2 and second.stderr.endswith(
            f"{run}: another slimsep train is running in this folder (process {first.pid}); wait for it to end or "
            f"choose another -o\n"), second.stderr[-2000:]
        assert not (run / "model.pt").exists()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 143


def test_resume_with_another_stages_config_changes_nothing(finished_run: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 45: a gate config on a stage-1 run gave a traceback after rewriting the run's config.yaml."""
    run = copy_run(finished_run, tmp_path)
    before = _snapshot_of_files(run)
    code = main(["train", *GATE, "--set", f"init_from={run / 'model.pt'}", "--set", "trainer.max_steps=4", "-o",
                 str(run), "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and err == (f"slimsep: error: {run}: --resume with a 'gate' config, but this run trains the "
                                 f"'slimmable' stage; nothing was changed: resume with the run's own config, or start "
                                 f"the gate stage in another folder\n"), err
    after = _snapshot_of_files(run)
    after.pop(LOCK_NAME, None)
    before.pop(LOCK_NAME, None)
    assert after == before


def _damaged_checkpoint(finished_run: Path, tmp_path: Path, damage: str) -> Path:
    ckpt = torch.load(finished_run / "checkpoints" / "last.ckpt", weights_only=True)
    if damage == "no_hyper_parameters":
        ckpt.pop("hyper_parameters")
    else:
        state = dict(ckpt["state_dict"])
        state["model.in_proj.weight"] = torch.zeros(3, 3)
        ckpt["state_dict"] = state
    path = tmp_path / f"{damage}.ckpt"
    torch.save(ckpt, path)
    return path


MESSAGES = {"no_hyper_parameters": "not a slimsep training checkpoint (no model_config in its hyper_parameters)",
            "other_shape": "weights do not match the stored config (in_proj.weight has shape (3, 3), the config needs "}


@pytest.mark.parametrize("damage", ["no_hyper_parameters", "other_shape"])
def test_init_from_a_checkpoint_without_its_config_or_of_another_shape(finished_run: Path, tmp_path: Path, damage: str,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = _damaged_checkpoint(finished_run, tmp_path, damage)
    out = tmp_path / "out"
    code = main(["train", *FAST, "--set", f"init_from={ckpt}", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and f"slimsep: error: {ckpt}: {MESSAGES[damage]}" in err and "Traceback" not in err, err
    assert [line for line in err.splitlines() if line.startswith("slimsep")] == err.splitlines()[-1:]
    assert not out.exists()


@pytest.mark.parametrize("damage", ["no_hyper_parameters", "other_shape"])
def test_snapshot_of_a_checkpoint_without_its_config_or_of_another_shape(finished_run: Path, tmp_path: Path, damage: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    run = copy_run(finished_run, tmp_path)
    named = run / "checkpoints" / "bad.ckpt"
    shutil.move(_damaged_checkpoint(finished_run, tmp_path, damage), named)
    out = tmp_path / "snap.pt"
    code = main(["snapshot", str(run), "--checkpoint", "bad.ckpt", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"slimsep: error: {named}: {MESSAGES[damage]}") and err.count("\n") == 1, err
    assert not out.exists()


def test_a_hostile_checkpoint_is_not_met_with_torchs_unsafe_advice(finished_run: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Torch's text suggests weights_only=False, the one thing never to do with such a file."""
    ckpt = tmp_path / "hostile.ckpt"
    torch.save({"state_dict": {}, "payload": os.mkdir}, ckpt)
    code = main(["train", *FAST, "--set", f"init_from={ckpt}", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.splitlines()[-1]
    assert code == 2 and err == (f"slimsep: error: {ckpt}: damaged or unsafe checkpoint (the file is damaged or not a "
                                 f"slimsep checkpoint; slimsep reads only tensors and plain data from one, never code)")


def test_a_full_disk_while_writing_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 45: ENOSPC inside a checkpoint write was a traceback; now one line naming the checkpoint."""
    from slimsep.training import checkpoints

    def full(obj: object, file: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", full)
    run = tmp_path / "run"
    code = main(["train", *FAST, "--set", "trainer.max_steps=4", "-o", str(run)])
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert code == 1 and last.startswith(f"slimsep: error: {run / 'checkpoints'}/") and last.endswith(
        ".ckpt: the disk is full (No space left on device); free some space, then start the run again"), err
    assert "Traceback" not in err and not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]


def test_checkpoints_go_through_a_file_object_so_a_real_full_disk_is_enospc(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.save into a path on a full disk raises a RuntimeError riddle ("unexpected pos"); into a file object
    the OSError of the write. /dev/full answers every write with ENOSPC."""
    import builtins

    from slimsep.errors import DiskFullError
    from slimsep.training import checkpoints

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    monkeypatch.setattr(checkpoints, "open", lambda *a, **k: builtins.open("/dev/full", "wb"), raising=False)
    target = tmp_path / "checkpoints" / "last.ckpt"
    with pytest.raises(DiskFullError, match=f"^{target}: the disk is full"):
        checkpoints.AtomicCheckpointIO().save_checkpoint({"state_dict": {"w": torch.zeros(1000)}}, target)
    assert list(target.parent.iterdir()) == []
