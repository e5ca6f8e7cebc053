"""``slimsep export onnx`` then ``slimsep separate --backend onnx``, and the runtime without PyTorch."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from slimsep.models import DSN, get_config, save_model
from tests.onnx.conftest import mixture


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(DSN(get_config("tiny")), tmp_path_factory.mktemp("model") / "tiny.pt")


@pytest.fixture(scope="module")
def export_dir(model_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "tiny_onnx"
    assert main(["export", "onnx", "--model", str(model_file), "-o", str(folder)]) == 0
    return folder


def test_cli_export_then_separate_matches_torch(model_file: Path, export_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "mix.wav"
    sf.write(wav, mixture(3 * 16000, batch=1)[0] * 0.3, 16000, subtype="FLOAT")
    for backend, model in (("onnx", export_dir), ("torch", model_file)):  # float32: auto is bf16 on AMX CPUs
        code = main(["separate", str(wav), "--backend", backend, "--model", str(model), "--window", "1.5",
                     "--precision", "float32", "-o", str(tmp_path / backend)])
        assert code == 0, capsys.readouterr().err
    for k in (1, 2):
        ours, sr = sf.read(tmp_path / "onnx" / f"mix_spk{k}.wav", dtype="float32")
        ref, _ = sf.read(tmp_path / "torch" / f"mix_spk{k}.wav", dtype="float32")
        assert sr == 16000 and ours.shape == (48000,)
        assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()
    assert json.loads((tmp_path / "onnx" / "mix_slimsep.json").read_text())["backend"] == "onnx"


def test_cli_errors_are_one_line(model_file: Path, export_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "mix.wav"
    sf.write(wav, mixture(8000, batch=1)[0], 8000)
    nope = tmp_path / "nope"
    assert main(["separate", str(wav), "--backend", "onnx", "--model", str(nope)]) == 2
    assert capsys.readouterr().err == f"slimsep: error: {nope}: exported model folder does not exist\n"
    assert main(["separate", str(wav), "--backend", "onnx"]) == 2
    assert "--backend onnx needs --model DIR" in capsys.readouterr().err
    assert main(["separate", str(wav), "--backend", "onnx", "--model", str(export_dir), "--precision",
                 "bfloat16", "-o", str(tmp_path / "bf16")]) == 2
    assert capsys.readouterr().err == "slimsep: error: --precision bfloat16: the onnx backend runs its exported " \
                                      "float32 graphs; use --backend torch for bfloat16\n"
    assert not (tmp_path / "bf16").exists()
    assert main(["export", "onnx", "--model", str(model_file), "-o", str(export_dir)]) == 2
    assert capsys.readouterr().err == f"slimsep: error: {export_dir}: folder is not empty; pass --overwrite " \
                                      f"to export into it\n"


NO_TORCH = """
import sys

class NoTorch:  # any import of torch now fails, as where it is not installed ('torch' stays out of sys.modules,
    def find_spec(self, name, path=None, target=None):  # which scipy inspects)
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTorch())
import numpy as np
from slimsep.cli.main import main
from slimsep.inference import Separator
sep = Separator.from_pretrained(sys.argv[1], backend="onnx", threads=1)
est, report = sep.separate(np.random.default_rng(0).standard_normal(20000).astype(np.float32) * 0.1, 8000)
print(est.shape, report["windows"])
sys.exit(main(["separate", sys.argv[2], "--backend", "onnx", "--model", sys.argv[1], "-o", sys.argv[3]]))
"""


def test_runtime_needs_no_torch(export_dir: Path, tmp_path: Path) -> None:
    check = "import sys, slimsep.onnx.runtime; from slimsep.onnx import OnnxDSN; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    wav = tmp_path / "mix.wav"
    sf.write(wav, mixture(8000, batch=1)[0], 8000)
    args = [sys.executable, "-c", NO_TORCH, str(export_dir), str(wav), str(tmp_path / "out")]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "(2, 20000) 1"
    assert (tmp_path / "out" / "mix_spk2.wav").is_file()


def test_separator_api_backend_choice(export_dir: Path) -> None:
    sep = Separator.from_pretrained(export_dir, backend="onnx", threads=1)
    assert sep.backend == "onnx" and sep.sample_rate == 8000
    with pytest.raises(SlimsepError, match="unknown backend 'tflite'"):
        Separator.from_pretrained(export_dir, backend="tflite")
    with pytest.raises(SlimsepError, match="--device cuda: the onnx backend runs on the CPU only"):
        Separator.from_pretrained(export_dir, backend="onnx", device="cuda")


def test_a_static_model_keeps_its_width_through_export(tmp_path: Path) -> None:
    """The manifest records a static baseline's trained width: the ONNX backend must not run its untrained gates."""
    static = save_model(DSN(get_config("tiny")), tmp_path / "static.pt",
                        metadata={"stage": "static", "recipe": {"static": {"width": 0.5}}})
    folder = tmp_path / "static_onnx"
    assert main(["export", "onnx", "--model", str(static), "-o", str(folder)]) == 0
    assert json.loads((folder / "manifest.json").read_text())["width"] == 0.5
    sep = Separator.from_pretrained(folder, backend="onnx")
    assert sep.width == 0.5
    _, report = sep.separate(mixture(8000, batch=1)[0], 8000)
    assert report["width_share"]["0.5"] == 1.0
    assert Separator.from_pretrained(folder, backend="onnx", width=1.0).width == 1.0


def test_a_dsn_export_leaves_the_choice_to_the_gates(export_dir: Path) -> None:
    assert json.loads((export_dir / "manifest.json").read_text())["width"] is None
    assert Separator.from_pretrained(export_dir, backend="onnx").width is None
