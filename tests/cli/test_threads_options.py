"""``--threads`` of every command is checked and capped at the cores in one place, ``slimsep.threads`` (issue 45,
items 1 and 11): 1000 threads are the cores with a note, 0 and negative counts one line and exit 2."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import slimsep.threads
from slimsep.cli.main import main
from slimsep.models import DSN, get_config, save_model

NOTE = "slimsep: note: --threads 1000: this machine lets the run use 1 core(s); using 1 thread(s)"


@pytest.fixture(autouse=True)
def one_core(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine with one usable core; torch's thread count as it was afterwards."""
    before = torch.get_num_threads()
    monkeypatch.setattr(slimsep.threads, "usable_cores", lambda: 1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(DSN(get_config("tiny")), tmp_path_factory.mktemp("model") / "tiny.pt")


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "mix.wav"
    sf.write(path, (0.1 * np.random.default_rng(0).standard_normal(8000)).astype(np.float32), 8000)
    return path


def test_separate_caps_torch_threads(model_file: Path, wav: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    torch.set_num_threads(2)
    assert main(["separate", str(wav), "--model", str(model_file), "-o", str(tmp_path), "--threads", "1000"]) == 0
    assert torch.get_num_threads() == 1 and NOTE in capsys.readouterr().err.splitlines()


def test_separate_caps_onnxruntime_threads(model_file: Path, wav: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every graph has its own session and pool: 1000 threads per session once started 32,291 threads."""
    ort = pytest.importorskip("onnxruntime")
    from slimsep.models import load_model
    from slimsep.onnx.export import export_onnx

    export_onnx(load_model(model_file), tmp_path / "onnx")
    capsys.readouterr()
    asked: list[int] = []
    session = ort.InferenceSession

    def counting(path: str, options: object, **kwargs: object) -> object:
        asked.append(options.intra_op_num_threads)  # type: ignore[attr-defined]
        return session(path, options, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", counting)
    assert main(["separate", str(wav), "--backend", "onnx", "--model", str(tmp_path / "onnx"), "-o",
                 str(tmp_path / "out"), "--threads", "1000"]) == 0
    assert asked and set(asked) == {1}
    assert capsys.readouterr().err.splitlines().count(NOTE) == 1


def test_onnx_runtime_caps_threads_from_python(model_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The library caps too: ``Separator.from_pretrained(..., backend="onnx", threads=1000)`` is no CLI."""
    pytest.importorskip("onnxruntime")
    from slimsep.models import load_model
    from slimsep.onnx.export import export_onnx
    from slimsep.onnx.runtime import OnnxDSN

    export_onnx(load_model(model_file), tmp_path / "onnx")
    runtime = OnnxDSN(tmp_path / "onnx", threads=1000)
    assert {s.get_session_options().intra_op_num_threads for s in runtime._sessions.values()} == {1}
    assert "slimsep: note: threads 1000: this machine lets the run use 1 core(s)" in capsys.readouterr().err


def test_profile_caps_threads(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--config", "tiny", "--seconds", "0.5", "--runs", "1", "--json", "--threads", "1000"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["threads"] == 1 and torch.get_num_threads() == 1 and NOTE in err.splitlines()


@pytest.mark.parametrize("command", [["separate", "in.wav"], ["demo"], ["profile", "--config", "tiny"],
                                     ["evaluate", "--model", "default", "--data", "d", "-o", "r"]])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_zero_or_negative_threads_are_one_line(command: list[str], value: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Refused before any model loads or recordings are fetched: exit 2, one line, nothing written."""
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--threads", value]) == 2
    assert capsys.readouterr().err == (f"slimsep: error: --threads {value}: must be at least 1 (leave it out for "
                                       f"the default)\n")
    assert list(tmp_path.iterdir()) == []
