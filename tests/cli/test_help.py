"""``--help`` is plain text: no reStructuredText markup from the docstrings it is built from."""
from __future__ import annotations

import argparse

from slimsep.cli.main import build_parser


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return [parser] + [p for s in subs for child in s.choices.values() for p in _parsers(child)]


def test_no_help_text_shows_double_backticks() -> None:
    texts = {p.prog: p.format_help() for p in _parsers(build_parser())}
    assert len(texts) > 10
    assert not [prog for prog, text in texts.items() if "``" in text]


def test_device_help_names_the_devices_it_takes() -> None:
    separate = next(p for p in _parsers(build_parser()) if p.prog.endswith(" separate"))
    assert "cuda:N" in separate.format_help()


def test_options_with_a_default_name_it_in_their_help() -> None:
    """A user reading ``--help`` learns what happens when an option is left out (the new-user trial missed
    ``separate --budget`` and ``--window``)."""
    missing = [(p.prog, a.option_strings[-1]) for p in _parsers(build_parser()) for a in p._actions
               if a.option_strings and a.help and a.default not in (None, False, [], argparse.SUPPRESS)
               and "default" not in a.help]
    assert missing == []
