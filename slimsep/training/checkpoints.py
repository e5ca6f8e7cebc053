"""Checkpoints that survive kills and hostile files: atomic writes, explicit ``weights_only=True`` reads, a resume
that falls back to the newest intact checkpoint, and a stop on SIGTERM/SIGINT that leaves a resumable one.

Why explicit: ``torch.load`` only defaults to ``weights_only=True``; the environment override
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns that default off, and a pickle in ``last.ckpt`` would then run its code.
"""
from __future__ import annotations

import pickle
import signal
import threading
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from slimsep.atomic import atomic_path
from slimsep.errors import SlimsepError, first_line


STOP_EXTRA = (signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ()  # a closed terminal stops as SIGTERM does


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A Lightning checkpoint read without pickle code; a damaged or hostile file is one SlimsepError naming it.

    Torch's own text for a refused object advises loading with ``weights_only=False``, which would run the file's
    code: never quoted here; the line says what the file is instead."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - truncated zips, bad pickles and refused objects raise many types
        raise SlimsepError(f"{path}: damaged or unsafe checkpoint ({_load_failure(exc)})") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise SlimsepError(f"{path}: damaged checkpoint (no state_dict)")
    return ckpt


def _load_failure(exc: Exception) -> str:
    """Why ``torch.load`` failed, in one short clause; for a refused object not torch's text, which goes on to
    suggest the unsafe ``weights_only=False``."""
    text = str(exc).lower()
    if isinstance(exc, pickle.UnpicklingError) or "weights only" in text or "weights_only" in text:
        return ("the file is damaged or not a slimsep checkpoint; slimsep reads only tensors and plain data from "
                "one, never code")
    return first_line(exc)


def resume_checkpoint(run_dir: Path) -> tuple[Path, list[str]]:
    """(the checkpoint to resume from, one note per damaged one skipped): ``last.ckpt`` if intact, else the newest
    intact ``*.ckpt`` of the run. Raises SlimsepError when there is none."""
    folder = run_dir / "checkpoints"
    found = sorted(folder.glob("*.ckpt"), key=lambda p: (p.name != "last.ckpt", -p.stat().st_mtime))
    if not found:
        raise SlimsepError(f"{run_dir}: nothing to resume (no checkpoints/last.ckpt)")
    notes = []
    for path in found:
        try:
            load_checkpoint(path)
        except SlimsepError as exc:
            notes.append(f"{exc}; skipped")
            continue
        return path, notes + ([f"resuming from {path.name}"] if notes else [])
    raise SlimsepError(f"{run_dir}: nothing to resume: no intact checkpoint ({notes[0].removesuffix('; skipped')})")


def named_checkpoint(run_dir: Path, name: str) -> Path:
    """``run_dir/checkpoints/name``; raises SlimsepError naming the run's checkpoints when it is not there."""
    folder = run_dir / "checkpoints"
    path = folder / name
    if Path(name).name != name or not path.is_file():
        have = ", ".join(sorted(p.name for p in folder.glob("*.ckpt"))) or "none"
        raise SlimsepError(f"{run_dir}: no checkpoint {name!r} in checkpoints/ (there: {have})")
    return path


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO, writing to a temporary file renamed into place (a kill during the write leaves the
    previous checkpoint whole) and reading with ``weights_only=True`` whatever the caller asks."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            torch.save(checkpoint, f)  # a file object: a full disk is then an OSError (ENOSPC), not a torch riddle

    def load_checkpoint(self, path: Any, map_location: Any = None, weights_only: bool | None = None) -> dict[str, Any]:
        return load_checkpoint(Path(path))


class StopOnSignal(L.Callback):
    """SIGTERM, SIGHUP or SIGINT during training: finish the current step, stop, and let ``train`` save ``last.ckpt`` and
    exit non-zero. Installed when training starts (after Lightning's own SIGTERM handler, which would end the run
    with exit status 0 and no checkpoint); Lightning restores the previous handlers at teardown."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._trainer: L.Trainer | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if threading.current_thread() is threading.main_thread():
            self._trainer = trainer
            for signum in (signal.SIGTERM, signal.SIGINT, *STOP_EXTRA):
                signal.signal(signum, self._stop)

    def _stop(self, signum: int, frame: object) -> None:
        if self.signum is not None:  # a second signal: stop now
            raise KeyboardInterrupt
        self.signum = signum
        if self._trainer is not None:
            self._trainer.should_stop = True
