"""What a separation says about itself: traceable to slimsep and the model, honest about band and labels, and one
clear line for the usual wrong ``--model`` values."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from slimsep import __version__
from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from slimsep.inference.backends import model_digest
from slimsep.inference.pretrained import resolve
from tests.conftest import Terminal
from tests.inference.conftest import write_wav


def _noise(n: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(n)).astype(np.float32)


def test_report_names_the_slimsep_version_and_the_model_hash(tiny_model_file: Path, mixture_wav: Path,
                                                               tmp_path: Path) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    report = json.loads(sep.separate_file(mixture_wav, tmp_path / "o")["report"].read_text())
    assert report["slimsep_version"] == __version__
    assert report["model_sha256"] == hashlib.sha256(tiny_model_file.read_bytes()).hexdigest()


def test_a_folder_digest_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "a.onnx").write_bytes(b"1")
    (tmp_path / "manifest.json").write_text("{}")
    before = model_digest(tmp_path)
    (tmp_path / "a.onnx").write_bytes(b"2")
    assert before != model_digest(tmp_path) and model_digest(None) is None


def test_report_says_what_its_timeline_and_overlap_are(tiny_model_file: Path) -> None:
    _, report = Separator.from_pretrained(tiny_model_file, window=1.0).separate(_noise(24000), 8000)
    assert report["widths_over_time_columns"] == ["chunk centre [s]", "width, mean over the model's blocks"]
    assert report["window_overlap_s"] == 0.25 and "overlap_s" not in report


@pytest.mark.parametrize("rate, noted", [(16000, True), (44100, True), (8000, False)])
def test_inputs_above_the_model_rate_get_a_band_limit_note(tiny_model_file: Path, rate: int, noted: bool) -> None:
    _, report = Separator.from_pretrained(tiny_model_file).separate(_noise(2 * rate), rate)
    assert any("band-limited to 4 kHz" in n for n in report["notes"]) == noted


def test_the_cli_prints_the_band_limit_note(tiny_model_file: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    wav = write_wav(tmp_path / "wide.wav", _noise(32000), 16000)
    assert main(["separate", str(wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o")]) == 0
    assert "slimsep: note: " in capsys.readouterr().err


def test_the_api_overwrite_error_names_the_api_argument(tiny_model_file: Path, mixture_wav: Path,
                                                       tmp_path: Path) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    sep.separate_file(mixture_wav, tmp_path / "o")
    with pytest.raises(SlimsepError, match=r"output exists; pass overwrite=True to replace it$"):
        sep.separate_file(mixture_wav, tmp_path / "o")


def test_an_onnx_folder_without_backend_onnx_says_to_add_it(tmp_path: Path) -> None:
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "manifest.json").write_text("{}")
    with pytest.raises(SlimsepError, match="written by `slimsep export onnx`.*--backend onnx"):
        resolve(tmp_path / "onnx")
    with pytest.raises(SlimsepError, match="is a folder, not a model file"):
        resolve(tmp_path)


def test_a_hub_name_gets_a_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SlimsepError, match="model-hub name: slimsep runs only its own model files"):
        resolve("speechbrain/sepformer-wsj02mix")
    with pytest.raises(SlimsepError, match=r"model file does not exist$"):
        resolve("runs/x/model.pt")


@pytest.mark.parametrize("quiet", [False, True])
def test_separate_shows_progress_on_a_terminal_unless_quiet(tiny_model_file: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, quiet: bool) -> None:
    wav = write_wav(tmp_path / "long.wav", _noise(8000 * 8))
    monkeypatch.setattr(sys, "stderr", terminal := Terminal())
    args = ["separate", str(wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"), "--window", "2"]
    assert main(args + ["--quiet"] * quiet) == 0
    assert ("long.wav" in terminal.getvalue() and "window" in terminal.getvalue()) != quiet
