"""The one-line reason taken from a library's exception."""
from __future__ import annotations

from slimsep.errors import first_line


def test_first_line_keeps_the_first_non_blank_line() -> None:
    assert first_line(ValueError("\n  bad header\nTraceback detail\n")) == "bad header"


def test_first_line_of_an_empty_message_is_the_type_name() -> None:
    assert first_line(EOFError()) == "EOFError"


def test_first_line_is_cut_to_the_limit() -> None:
    assert first_line(RuntimeError("x" * 500)) == "x" * 200
    assert first_line(RuntimeError("abcdef"), limit=3) == "abc"
