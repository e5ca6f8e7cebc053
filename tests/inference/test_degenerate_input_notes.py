"""Issue 45, caveats: near-silent or degenerate inputs and estimates above full scale are said, not silent."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimsep.cli.main import main
from slimsep.errors import AudioError
from slimsep.inference import Separator
from slimsep.models import DSN, get_config
from tests.inference.conftest import write_wav

NOISE = np.random.default_rng(0).standard_normal(16000).astype(np.float32)


@pytest.fixture(scope="module")
def separator() -> Separator:
    return Separator(DSN(get_config("tiny")))


@pytest.mark.parametrize("signal", [NOISE * np.float32(1e-30), NOISE * np.float32(1e-40),
                                    np.full(16000, 0.5, np.float32)], ids=["-600dBFS", "denormals", "dc-only"])
def test_near_silent_inputs_give_a_note(separator: Separator, signal: np.ndarray) -> None:
    """Before: all-zero estimates and no note."""
    est, report = separator.separate(signal, 8000)
    assert not np.any(est) and any("near-silent" in n for n in report["notes"])


def test_a_1_hz_sample_rate_is_refused(separator: Separator) -> None:
    with pytest.raises(AudioError, match="sample rate 1 Hz"):
        separator.separate(NOISE[:200], 1)


def test_ordinary_input_has_neither_note(separator: Separator) -> None:
    _, report = separator.separate(NOISE * np.float32(0.01), 8000)
    assert not any("near-silent" in n or "full scale" in n for n in report["notes"])


def test_estimates_above_full_scale_are_noted_with_the_file(tiny_model_file: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A full-scale input whose estimates peak above 1: kept in float, and said, naming the file."""
    loud = write_wav(tmp_path / "loud.wav", np.sign(NOISE).astype(np.float32))
    code = main(["separate", str(loud), "--model", str(tiny_model_file), "-q", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert any("loud.wav" in line and "above full scale" in line for line in err.splitlines()), err
