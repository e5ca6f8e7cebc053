"""Broken ONNX folders (issue 28): refused when they load, in one line, instead of a traceback or the wrong graph."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.onnx.format import MANIFEST
from tests.onnx.conftest import export_variant


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_variant("with_skip", tmp_path_factory.mktemp("onnx")).folder


def _copy(folder: Path, tmp_path: Path, **manifest_changes: object) -> Path:
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    manifest = json.loads((bad / MANIFEST).read_text())
    for key, value in manifest_changes.items():
        if value is None:
            manifest.pop(key)
        elif key == "config":
            manifest["config"].update(value)
        else:
            manifest[key] = value
    (bad / MANIFEST).write_text(json.dumps(manifest))
    return bad


def _separate(bad: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    wav = tmp_path / "mix.wav"
    sf.write(wav, 0.1 * np.random.default_rng(0).standard_normal(16000).astype(np.float32), 8000)
    code = main(["separate", str(wav), "--backend", "onnx", "--model", str(bad), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists(), "refused before any audio is read"
    return err


@pytest.mark.parametrize("changes,message", [
    ({"costs": None}, "'costs' must list one finite cost >= 0 per width (3), got None"),
    ({"costs": [0.1, float("nan"), 1.0]}, "'costs' must list one finite cost"),
    ({"costs": [0.5, 1.0]}, "'costs' must list one finite cost"),
    ({"width": 0.3}, "'width' 0.3 is not one of the model's widths"),
])
def test_onnx_manifest_lacks_costs(folder: Path, tmp_path: Path, changes: dict, message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(folder, tmp_path, **changes)
    assert f"{bad / MANIFEST}: {message}" in _separate(bad, tmp_path, capsys)


def test_onnx_manifest_has_sample_rate_zero(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(folder, tmp_path, config={"sample_rate": 0})
    assert f"{bad / MANIFEST}: bad model config (invalid model config: sample_rate must be a whole number >= 1" \
        in _separate(bad, tmp_path, capsys)


def test_onnx_manifest_whose_graphs_do_not_match_its_config(folder: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(folder, tmp_path, config={"widths": [0.25, 0.5, 1.0]})  # the graphs were exported for 0, 0.5, 1
    assert f"{bad / MANIFEST}: the graphs listed do not match the model config" in _separate(bad, tmp_path, capsys)


def test_onnx_graph_of_one_width_replaced_by_another(folder: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = _copy(folder, tmp_path)
    shutil.copyfile(bad / "intra_0_w1.onnx", bad / "intra_0_w2.onnx")  # width 0.5's graph where width 1 belongs
    err = _separate(bad, tmp_path, capsys)
    assert f"{bad / 'intra_0_w2.onnx'}: this graph is intra_0_w1.onnx at width 0.5, the manifest runs it as " \
           f"intra_0_w2.onnx at width 1" in err
