"""One training process per run folder: an exclusive ``flock`` on ``<run>/.slimsep-train.lock`` for the whole run.

Why a lock, not a check: "does the folder already hold a run?" followed by training is check-then-act; two
``slimsep train`` started together both pass the check, both exit 0, one ``model.pt`` replaces the other and their
checkpoints mix. ``flock`` is atomic, and the kernel releases it when the process ends however it ends (a crash, a
``kill -9``), so a stale lock never blocks the folder; the file itself stays (removing a lock file races with a
process that has just opened it). Only the process that launches a run locks: the other ranks of a DDP run
(``LOCAL_RANK``, ``NODE_RANK``, ``RANK``, ``SLURM_PROCID`` not 0) work in the folder their rank zero holds.
Windows has no ``fcntl``: no lock there.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from slimsep.errors import SlimsepError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".slimsep-train.lock"
RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID")


def launching_process() -> bool:
    """Whether this process starts the run (rank zero, or no launcher at all), as opposed to a rank it spawned."""
    def rank(name: str) -> int:
        try:
            return int(os.environ.get(name, "0") or 0)
        except ValueError:
            return 0
    return all(rank(name) == 0 for name in RANK_VARIABLES)


class RunLock:
    """The exclusive lock of one run folder; :meth:`claim` takes it (once) and re-checks the folder under it."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._fd: int | None = None

    def claim(self, resume: bool) -> None:
        """Lock the (existing) folder unless this process holds it already, then refuse a fresh run into a folder
        that holds one: checked under the lock, so no other ``train`` can start one in between."""
        if self._fd is None and fcntl is not None and launching_process():
            self._fd = self._take()
        if not resume and (self.run_dir / "checkpoints" / "last.ckpt").is_file():
            raise SlimsepError(f"{self.run_dir} already holds a run; pass --resume to continue it or choose another "
                               f"-o")

    def _take(self) -> int:
        path = self.run_dir / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise SlimsepError(f"{self.run_dir}: another slimsep train is running in this folder"
                               f"{f' (process {holder})' if holder.isdigit() else ''}; wait for it to end or "
                               f"choose another -o") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for the other process's message
        return fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
