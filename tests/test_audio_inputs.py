"""``slimsep.audio.check_file``: a pipe or a device is named as such (issue 45 caveats: a pipe was "file is empty (0
bytes)", ``/dev/zero`` a missing or empty file)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from slimsep.audio import check_file
from slimsep.cli.main import main
from slimsep.errors import AudioError

NOT_REGULAR = "not a regular file (a pipe/device); save the audio to a file first"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.wav"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("which", ["fifo", "/dev/zero"])
def test_pipes_and_devices_are_not_regular_files(which: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue("fifo") if which == "fifo" else Path(which)
    with pytest.raises(AudioError) as caught:
        check_file(path)  # never opened: a pipe with no writer would block
    assert str(caught.value) == f"{path}: {NOT_REGULAR}"


def test_separate_names_a_pipe_in_one_line(fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["separate", str(fifo), "-o", str(tmp_path / "out"), "-q"]) == 1
    assert capsys.readouterr().err == f"slimsep: error: {fifo}: {NOT_REGULAR}\n"
