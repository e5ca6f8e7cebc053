"""One exception type for every user-facing problem, so the CLI can print one clear line."""
from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SlimsepError(Exception):
    """A problem the user can fix (bad file, bad option); printed as one line, never as a traceback."""


class AudioError(SlimsepError):
    """An audio file that cannot be used; the message always names the file."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> tuple:
        """Picklable, so an error raised in a worker process (the corpus build uses two) reaches the parent intact."""
        return type(self), (self.path, self.problem)


class Interrupted(BaseException):
    """SIGTERM or SIGINT stopped the run. A BaseException, so that no ``except Exception`` (one input's failure)
    swallows it on the way to ``main``, while every ``finally`` on the way removes this run's temporary files.
    ``main`` prints the message and exits with the shell's code for the signal (143, 130) so schedulers see it."""

    def __init__(self, signum: int, message: str = "") -> None:
        import signal

        self.signum, self.exit_code = signum, 128 + signum
        super().__init__(message or f"stopped by {signal.Signals(signum).name}; this run's temporary files were "
                                    f"removed, finished outputs are complete")


class ModelFileError(SlimsepError):
    """A model file or ONNX folder that exists but cannot be used (damaged, incomplete, inconsistent): a failed
    input, so the command exits 1 like a separation that failed, not 2 like a wrong argument."""

    exit_code = 1


class DiskFullError(SlimsepError):
    """A write that failed for want of space (ENOSPC, or EDQUOT: a quota is a full disk to its user). Its own
    message, not a generic system error: the fix is the user's (free space, write elsewhere), and nothing is lost
    that a retry cannot redo, since every writer is atomic. Exit 1: the run failed; no argument was wrong."""

    exit_code = 1

    def __init__(self, path: str | Path, code: int = errno.ENOSPC, advice: str = "free some space or write to "
                                                                              "another disk") -> None:
        self.path, self.code, self.advice = str(path), code, advice
        super().__init__(f"{path}: the disk is full ({os.strerror(code)}); {advice}")

    def __reduce__(self) -> tuple:
        return type(self), (self.path, self.code, self.advice)


FULL_DISK = (errno.ENOSPC, errno.EDQUOT)


@contextmanager
def full_disk_names(path: str | Path) -> Iterator[None]:
    """Turn an OSError for a full disk inside the block into :class:`DiskFullError` naming ``path``: the OSError
    of a ``write`` carries no file name, so only the caller knows which file the disk could not take. Where the
    OSError came while handling a DiskFullError (a library's clean-up writing to the same full disk), that first
    one, which names the file more closely, is raised."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in FULL_DISK:
            raise
        earlier = exc.__context__
        while earlier is not None and not isinstance(earlier, DiskFullError):
            earlier = earlier.__context__
        raise (earlier or DiskFullError(path, exc.errno)) from None


class OutputExistsError(SlimsepError):
    """An output that exists and may not be replaced; the message names the switch as the caller knows it
    (``overwrite=True`` in Python, ``--overwrite`` on the command line: :meth:`for_option`)."""

    def __init__(self, path: str | Path, option: str = "overwrite=True", why: str = "") -> None:
        self.path, self.why = str(path), why
        super().__init__(f"{path}: output exists{f' ({why})' if why else ''}; pass {option} to replace it")

    def for_option(self, option: str) -> OutputExistsError:
        return OutputExistsError(self.path, option, self.why)


def first_line(exc: BaseException, limit: int = 200) -> str:
    """A short reason from a library's exception for a one-line error: its message's first non-blank line, cut to
    ``limit`` characters, or the exception's type name when the message is empty (libraries raise both kinds)."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]
