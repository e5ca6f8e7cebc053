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
