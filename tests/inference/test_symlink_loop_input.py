"""Issue 45, item 7: a symbolic link loop among the inputs of ``slimsep separate``."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from slimsep.cli.main import main
from slimsep.inference.files import colliding_inputs
from tests.inference.conftest import write_wav


def test_a_link_loop_is_one_line_and_the_other_inputs_are_separated(tiny_model_file: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a RuntimeError traceback from ``Path.resolve`` and no input separated."""
    good = write_wav(tmp_path / "good.wav", 0.1 * np.random.default_rng(0).standard_normal(8000).astype(np.float32))
    os.symlink(tmp_path / "b.wav", tmp_path / "a.wav")
    os.symlink(tmp_path / "a.wav", tmp_path / "b.wav")
    code = main(["separate", str(tmp_path / "a.wav"), str(good), "--model", str(tiny_model_file), "-q",
                 "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and "a.wav" in err and "link loop" in err
    assert (tmp_path / "out" / "good_spk1.wav").is_file() and (tmp_path / "out" / "good_spk2.wav").is_file()


def test_a_self_link_is_reported_not_raised(tmp_path: Path) -> None:
    loop = tmp_path / "self.wav"
    os.symlink(loop, loop)
    kept, messages = colliding_inputs([loop, tmp_path / "x.wav"])
    assert kept == [tmp_path / "x.wav"] and len(messages) == 1 and "self.wav" in messages[0]
