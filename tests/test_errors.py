"""Errors cross process boundaries (the corpus build and data loaders raise them in worker processes), and the
one-line reason taken from a library's exception."""
from __future__ import annotations

import pickle

from slimsep.errors import AudioError, SlimsepError, first_line


def test_errors_survive_pickling() -> None:
    again = pickle.loads(pickle.dumps(AudioError("a.wav", "sample rate is 16000 Hz")))
    assert isinstance(again, AudioError) and str(again) == "a.wav: sample rate is 16000 Hz" and again.path == "a.wav"
    assert str(pickle.loads(pickle.dumps(SlimsepError("x: bad")))) == "x: bad"


def test_first_line_keeps_the_first_non_blank_line() -> None:
    assert first_line(ValueError("\n  bad header\nTraceback detail\n")) == "bad header"


def test_first_line_of_an_empty_message_is_the_type_name() -> None:
    assert first_line(EOFError()) == "EOFError"


def test_first_line_is_cut_to_the_limit() -> None:
    assert first_line(RuntimeError("x" * 500)) == "x" * 200
    assert first_line(RuntimeError("abcdef"), limit=3) == "abc"
