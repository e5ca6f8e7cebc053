"""Entry point of the ``slimsep`` command.

Each sub-command lives in its own module with ``register(subparsers)``, which adds a parser and sets
``func(args) -> int``. User errors (:class:`SlimsepError`) become one line on stderr and exit code 2. SIGTERM
(``timeout``, Slurm, ``docker stop``) and SIGINT become :class:`Interrupted`: temporary files are removed on the way
out, one line says so, and the exit code is 143 or 130.
"""
from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from slimsep import __version__
from slimsep.errors import Interrupted, SlimsepError

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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous = _stop_on_sigterm()
    try:
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> signal.Handlers | None:
    """Turn SIGTERM into :class:`Interrupted` (its default ends the process on the spot, leaving temporary files);
    returns the handler to restore, None where signals cannot be handled (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: object) -> None:
        raise Interrupted(signum)
    return signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    sys.exit(main())
