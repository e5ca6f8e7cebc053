"""Entry point of the ``slimsep`` command.

Each sub-command lives in its own module with ``register(subparsers)``, which adds a parser and sets
``func(args) -> int``. User errors (:class:`SlimsepError`) become one line on stderr and exit code 2. SIGTERM
(``timeout``, Slurm, ``docker stop``), SIGHUP (a closed terminal, a dropped ssh session) and SIGINT become
:class:`Interrupted` (SIGINT: KeyboardInterrupt): temporary files are removed on the way out, one line says so, and
the exit code is 143, 129 or 130. The handlers are installed before any command module is imported, and a signal
that arrives inside an import waits for it to finish (see :class:`Stopper`).
"""
from __future__ import annotations

import argparse
import errno
import importlib
import os
import signal
import sys
import threading
from types import FrameType

from slimsep import __version__
from slimsep.errors import DiskFullError, Interrupted, SlimsepError

# Sub-command modules, in the order they are listed in ``slimsep --help``.
COMMANDS = [
    "slimsep.cli.data_cmd",
    "slimsep.cli.demo_cmd",
    "slimsep.cli.demo_page_cmd",
    "slimsep.cli.evaluate_cmd",
    "slimsep.cli.export_cmd",
    "slimsep.cli.profile_cmd",
    "slimsep.cli.separate_cmd",
    "slimsep.cli.snapshot_cmd",
    "slimsep.cli.train_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slimsep", description="Dynamic Slimmable Networks for two-speaker speech separation."
    )
    parser.add_argument("--version", action="version", version=f"slimsep {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    plain_help(parser)
    return parser


def plain_help(parser: argparse.ArgumentParser) -> None:
    """Descriptions come from docstrings, which quote code in reStructuredText's double backticks; ``--help`` is
    plain text, so they become single ones, in every sub-command too."""
    parser.description = parser.description and parser.description.replace("``", "`")
    for action in parser._actions:
        action.help = action.help and action.help.replace("``", "`")
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = choice.help and choice.help.replace("``", "`")
            for sub in set(action.choices.values()):
                plain_help(sub)


def main(argv: list[str] | None = None) -> int:
    stopper = Stopper()
    stopper.install()  # first: the command modules and the libraries they import take seconds to load
    try:
        return _run(argv)
    finally:
        stopper.restore()


def _run(argv: list[str] | None) -> int:
    """Parse ``argv`` and run the command; errors and signals become one line and the exit code."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except SlimsepError as exc:
        print(f"slimsep: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    except Interrupted as exc:
        print(f"slimsep: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"slimsep: {Interrupted(signal.SIGINT)}", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        full = DiskFullError(exc.filename or "output", exc.errno)  # e.g. creating an output folder
        print(f"slimsep: error: {full}", file=sys.stderr)
        return full.exit_code


# Signals that stop a run as SIGTERM does (their default ends the process on the spot, leaving temporary files).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
RETRY_S = 0.05  # how often a signal that arrived inside an import is sent again


class Stopper:
    """Turns SIGTERM and SIGHUP into :class:`Interrupted` and SIGINT into KeyboardInterrupt, except inside an
    import: an exception raised there leaves a half-initialised module (numpy, torch's C extensions) that the
    unwinding code imports again, and the user gets an ImportError traceback and exit 1. So a signal that lands in
    an import is sent again every ``RETRY_S`` seconds until the import is over; nothing is written meanwhile."""

    def __init__(self) -> None:
        self.previous: dict[int, object] = {}
        self.retry: threading.Timer | None = None

    def install(self) -> None:
        """Handle the signals; nothing where signals cannot be handled (not the main thread), and an ignored signal
        stays ignored (``nohup`` ignores SIGHUP, a shell script's background jobs SIGINT)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (*STOP_SIGNALS, signal.SIGINT):
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self.previous[signum] = signal.signal(signum, self.stop)

    def restore(self) -> None:
        """The handlers as they were before :meth:`install` (tests and callers run ``main`` in-process)."""
        if self.retry is not None:
            self.retry.cancel()
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        if _importing(frame):
            if self.retry is not None:  # one retry chain, however many signals came
                self.retry.cancel()
            self.retry = threading.Timer(RETRY_S, os.kill, (os.getpid(), signum))
            self.retry.daemon = True
            self.retry.start()
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(signum)


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside an import (the import machinery is on its stack)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


if __name__ == "__main__":
    sys.exit(main())
