"""Inference precision: ``auto`` follows the hardware, bfloat16 stays close to float32, reports say which ran."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from slimsep.inference.backends import TorchBackend
from slimsep.inference.precision import resolve_precision, running_in
from slimsep.models import DSN, get_config


def test_auto_follows_the_hardware_and_unknown_values_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("slimsep.hardware.cpu_has_fast_bf16", lambda: False)
    assert resolve_precision("auto") == "float32"
    monkeypatch.setattr("slimsep.hardware.cpu_has_fast_bf16", lambda: True)
    assert resolve_precision("auto") == "bfloat16"
    assert resolve_precision("float32") == "float32" and resolve_precision("bfloat16") == "bfloat16"
    with pytest.raises(SlimsepError, match=r"^--precision 'fp16': choose one of auto, float32, bfloat16$"):
        resolve_precision("fp16", option="--precision")
    with pytest.raises(SlimsepError, match="resolve it first"):
        with running_in("auto"):
            pass


def test_the_command_line_offers_exactly_the_library_precisions() -> None:
    from slimsep.cli.separate_cmd import PRECISION_CHOICES
    from slimsep.inference.precision import PRECISIONS

    assert PRECISION_CHOICES == PRECISIONS


def test_bfloat16_backend_returns_float32_estimates_close_to_float32() -> None:
    model = DSN(get_config("tiny")).eval()
    x = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    exact, _ = TorchBackend(model, precision="float32").run(x, None, 0.0)
    bf16 = TorchBackend(model, precision="bfloat16")
    est, _ = bf16.run(x, None, 0.0)
    assert bf16.precision == "bfloat16" and est.dtype == np.float32 and est.shape == exact.shape
    snr = 10 * np.log10(np.sum(exact ** 2) / np.sum((est - exact) ** 2))
    assert 15 < snr < 200  # close, and not float32 under another name
    assert next(model.parameters()).dtype == torch.float32  # autocast: the weights themselves stay float32


def test_report_and_cli_name_the_precision(tmp_path: Path, mixture_wav: Path, tiny_model_file: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sep = Separator(DSN(get_config("tiny")), precision="bfloat16")
    _, report = sep.separate(np.zeros(8000, np.float32) + 0.01, 8000)
    assert report["precision"] == "bfloat16"
    assert main(["separate", str(mixture_wav), "--model", str(tiny_model_file), "--precision", "float32",
                 "-o", str(tmp_path / "o")]) == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "o" / "mix_slimsep.json").read_text())["precision"] == "float32"
    with pytest.raises(SystemExit) as exit_info:
        main(["separate", str(mixture_wav), "--precision", "half", "-o", str(tmp_path / "p")])
    assert exit_info.value.code == 2 and "invalid choice: 'half'" in capsys.readouterr().err
    with pytest.raises(SlimsepError, match="precision 'half'"):
        Separator(DSN(get_config("tiny")), precision="half")


def test_profile_times_the_precision_it_names(capsys: pytest.CaptureFixture[str]) -> None:
    for precision in ("float32", "bfloat16"):
        assert main(["profile", "--config", "tiny", "--seconds", "0.5", "--runs", "1", "--json",
                     "--precision", precision]) == 0
        assert json.loads(capsys.readouterr().out)["precision"] == precision
    assert main(["profile", "--config", "tiny", "--seconds", "0.5", "--runs", "1"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.endswith(f"thread(s), {resolve_precision('auto')} (auto)")
