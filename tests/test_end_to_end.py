"""End to end on real speech when CI has fetched it: build a mixture from codec2-examples, separate it from the
command line, evaluate the files. Skipped with the reason when the package is not in the cache."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from slimsep.cli.main import main
from slimsep.evaluation import separation_metrics
from slimsep.models import DSN, get_config, save_model
from tests.conftest import needs_codec2


@needs_codec2
def test_real_speech_through_the_cli(tmp_path: Path) -> None:
    from slimsep.inference.demo import demo_mixture

    mix, refs = demo_mixture()
    wav = tmp_path / "real_mix.wav"
    sf.write(wav, mix, 8000, subtype="FLOAT")
    model = save_model(DSN(get_config("tiny")), tmp_path / "tiny.pt")
    assert main(["separate", str(wav), "--model", str(model), "-o", str(tmp_path / "out")]) == 0
    est = np.stack([sf.read(tmp_path / "out" / f"real_mix_spk{k}.wav", dtype="float32")[0] for k in (1, 2)])
    assert est.shape == refs.shape and np.isfinite(est).all()
    scores = separation_metrics(torch.from_numpy(est), torch.from_numpy(refs), torch.from_numpy(mix))
    assert np.isfinite(scores["si_sdri"]) and np.isfinite(scores["sdri"])


@needs_codec2
def test_demo_command_with_a_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = save_model(DSN(get_config("tiny")), tmp_path / "tiny.pt")
    assert main(["demo", "--model", str(model), "-o", str(tmp_path / "demo")]) == 0
    assert "SI-SDRi" in capsys.readouterr().out
    assert main(["demo", "--model", str(model), "--precision", "float32", "--threads", "1",
                 "-o", str(tmp_path / "demo32")]) == 0
    assert "(float32)" in capsys.readouterr().out  # the summary line names the precision that ran
    assert (tmp_path / "demo" / "estimate2.wav").is_file() and (tmp_path / "demo" / "report.json").is_file()
