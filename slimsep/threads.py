"""Thread counts asked for by the user (``--threads``, ``trainer.threads``, ``OnnxDSN(threads=)``), checked and
capped in one place.

Why a cap: threads beyond the cores this process may use only contend, and onnxruntime starts a pool per graph
session, so ``--threads 1000`` once started 32,291 threads and 2 GB. Torch-free: the ONNX backend uses it too.
"""
from __future__ import annotations

import os
import sys

from slimsep.errors import SlimsepError


def usable_cores() -> int:
    """Cores this process may run on: its affinity mask (taskset, cpusets, Slurm) where the OS has one, else all."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def valid_threads(threads: int | None, option: str = "threads") -> int | None:
    """``threads`` unchanged where it is a count of at least 1 or None (the library's own choice); else SlimsepError
    naming ``option`` (``--threads``, ``trainer.threads``). 0 is refused too: it has no one obvious meaning, and
    leaving the setting out already means the default. For settings saved with a run, which must not depend on the
    machine that read them: :func:`check_threads` caps where the threads start."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise SlimsepError(f"{option} {threads!r}: must be a whole number of threads")
    if threads < 1:
        raise SlimsepError(f"{option} {threads}: must be at least 1 (leave it out for the default)")
    return threads


def check_threads(threads: int | None, option: str = "threads") -> int | None:
    """``threads`` checked (:func:`valid_threads`) and capped at :func:`usable_cores`, with a note on stderr; None
    stays None."""
    threads = valid_threads(threads, option)
    cores = usable_cores()
    if threads is not None and threads > cores:
        print(f"slimsep: note: {option} {threads}: this machine lets the run use {cores} core(s); using {cores} "
              f"thread(s)", file=sys.stderr)
        return cores
    return threads
