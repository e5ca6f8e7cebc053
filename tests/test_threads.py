"""``slimsep.threads``: one check and cap for every thread count a user gives (issue 45, item 1 and 11)."""
from __future__ import annotations

import os

import pytest

import slimsep.threads
from slimsep.errors import SlimsepError
from slimsep.threads import check_threads, usable_cores


def test_more_threads_than_cores_are_capped_with_one_note(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(slimsep.threads, "usable_cores", lambda: 2)
    assert check_threads(1000, "--threads") == 2
    assert capsys.readouterr().err == ("slimsep: note: --threads 1000: this machine lets the run use 2 core(s); "
                                       "using 2 thread(s)\n")
    assert check_threads(2, "--threads") == 2 and check_threads(None, "--threads") is None
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("value", [0, -1, -1000])
def test_zero_and_negative_counts_are_refused(value: int) -> None:
    with pytest.raises(SlimsepError, match=rf"^trainer.threads {value}: must be at least 1 \(leave it out for the "
                                           rf"default\)$"):
        check_threads(value, "trainer.threads")


@pytest.mark.parametrize("value", [2.5, True, "4"])
def test_counts_that_are_not_whole_numbers_are_refused(value: object) -> None:
    with pytest.raises(SlimsepError, match="must be a whole number of threads"):
        check_threads(value, "threads")  # type: ignore[arg-type]


def test_usable_cores_follow_the_affinity_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """taskset, cpusets and Slurm give a process fewer cores than the machine has: the cap is those."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert usable_cores() == 1
    monkeypatch.delattr(os, "sched_getaffinity")
    assert usable_cores() == (os.cpu_count() or 1)
