"""``slimsep.progress``: a bar on a terminal, a line about every 30 s into a log or a pipe (issue 45: ``evaluate``
printed nothing for 12 minutes into a log), nothing with ``--quiet``."""
from __future__ import annotations

import pytest

import slimsep.progress
from slimsep.progress import Heartbeat, bar, duration, each
from tests.conftest import Terminal


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_line_about_every_30_s_with_done_and_time_left(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    beat = Heartbeat(total=10, desc="tiny budget 0", unit="file", clock=clock)
    clock.now = 20.0
    beat.update()
    assert capsys.readouterr().err == ""
    clock.now = 40.0
    beat.update()
    assert capsys.readouterr().err == ("slimsep: tiny budget 0: 2/10 files done, 40 s elapsed, about 3 min left\n")
    clock.now = 50.0
    beat.update()
    assert capsys.readouterr().err == "", "the next line 30 s after the last one"


def test_bar_into_a_log_is_lines_and_quiet_is_silent(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(slimsep.progress, "HEARTBEAT_S", 0.0)
    assert list(each(range(3), "windows", unit="window")) == [0, 1, 2]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and lines[-1].startswith("slimsep: windows: 3/3 windows done, 0 s elapsed")
    with bar(total=2, desc="sources", quiet=True) as progress:
        progress.set_postfix_str("codec2-examples")
        progress.update(2)
    assert capsys.readouterr().err == ""


def test_a_terminal_gets_the_tqdm_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", Terminal())
    assert not isinstance(bar(total=2), Heartbeat)


@pytest.mark.parametrize("seconds, text", [(5, "5 s"), (89, "89 s"), (720, "12 min"), (5100, "1 h 25 min")])
def test_durations_read_at_a_glance(seconds: float, text: str) -> None:
    assert duration(seconds) == text
