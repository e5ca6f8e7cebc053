"""Errors cross process boundaries: the corpus build and data loaders raise them in worker processes."""
from __future__ import annotations

import pickle

from slimsep.errors import AudioError, SlimsepError


def test_errors_survive_pickling() -> None:
    again = pickle.loads(pickle.dumps(AudioError("a.wav", "sample rate is 16000 Hz")))
    assert isinstance(again, AudioError) and str(again) == "a.wav: sample rate is 16000 Hz" and again.path == "a.wav"
    assert str(pickle.loads(pickle.dumps(SlimsepError("x: bad")))) == "x: bad"
