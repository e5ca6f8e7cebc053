"""Errors cross process boundaries (the corpus build and data loaders raise them in worker processes), and the
one-line reason taken from a library's exception."""
from __future__ import annotations

import errno
import os
import pickle
from pathlib import Path

import pytest

from slimsep.errors import AudioError, DiskFullError, SlimsepError, first_line, full_disk_names


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


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "quota")])
def test_a_full_disk_is_its_own_line_naming_the_file(tmp_path: Path, code: int, words: str) -> None:
    """Issue 45: a full disk says so and names the file (a write's OSError names none), never "System error."."""
    target = tmp_path / "summary.json"
    with pytest.raises(DiskFullError) as caught, full_disk_names(target):
        raise OSError(code, os.strerror(code))
    message = str(caught.value)
    assert message.startswith(f"{target}: the disk is full (") and words in message and "\n" not in message
    assert caught.value.exit_code == 1 and pickle.loads(pickle.dumps(caught.value)).args == caught.value.args


def test_other_os_errors_pass_through_unchanged(tmp_path: Path) -> None:
    with pytest.raises(PermissionError), full_disk_names(tmp_path / "x"):
        raise PermissionError(errno.EACCES, "Permission denied")


def test_a_full_disk_met_again_while_cleaning_up_keeps_the_first_file_named(tmp_path: Path) -> None:
    """A library that writes its logs after our checkpoint write failed hits the same full disk: the line names the
    checkpoint, the closer cause."""
    with pytest.raises(DiskFullError, match="last.ckpt: the disk is full"), full_disk_names(tmp_path):
        try:
            raise DiskFullError(tmp_path / "last.ckpt")
        except DiskFullError:
            raise OSError(errno.ENOSPC, "No space left on device") from None
