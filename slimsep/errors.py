"""One exception type for every user-facing problem, so the CLI can print one clear line."""
from __future__ import annotations

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
