"""Entry point of the ``slimsep`` command.

Each sub-command lives in its own module with ``register(subparsers)``, which adds a parser and sets
``func(args) -> int``. User errors (:class:`SlimsepError`) become one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from slimsep import __version__
from slimsep.errors import SlimsepError

# Sub-command modules, in the order they are listed in ``slimsep --help``.
COMMANDS = [
    "slimsep.cli.data_cmd",
    "slimsep.cli.demo_cmd",
    "slimsep.cli.demo_page_cmd",
    "slimsep.cli.evaluate_cmd",
    "slimsep.cli.export_cmd",
    "slimsep.cli.profile_cmd",
    "slimsep.cli.separate_cmd",
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
    try:
        return int(args.func(args) or 0)
    except SlimsepError as exc:
        print(f"slimsep: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("slimsep: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
