"""``trainer.threads`` is checked when the config is read (issue 45, item 11): -1 was a torch traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

import slimsep.threads
from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.training import load_config


@pytest.mark.parametrize("value", ["-1", "0"])
def test_zero_or_negative_trainer_threads_are_refused(value: str) -> None:
    with pytest.raises(SlimsepError, match=rf"^trainer.threads {value}: must be at least 1"):
        load_config(None, [f"trainer.threads={value}"])


def test_negative_threads_in_train_are_one_line_before_the_run_folder(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--set", "trainer.threads=-1", "-o", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err == ("slimsep: error: trainer.threads -1: must be at least 1 (leave it out for the "
                                       "default)\n")
    assert not (tmp_path / "run").exists()


def test_the_config_keeps_the_count_it_was_given(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The config is saved with the run and compared on --resume: it must not depend on the machine that read it,
    so the cap (``slimsep.threads.check_threads``) belongs where the threads start, not here."""
    monkeypatch.setattr(slimsep.threads, "usable_cores", lambda: 2)
    assert load_config(None, ["trainer.threads=1000"]).trainer.threads == 1000
    assert load_config(None).trainer.threads is None  # null: torch's own choice, as before
    assert capsys.readouterr().err == ""
