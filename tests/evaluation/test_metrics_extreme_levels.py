"""Issue 45, item 9: signals x 1e30 (or x 1e-30) must not break the metrics or ``slimsep evaluate``."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from slimsep.cli.main import main
from slimsep.data.synthetic import SyntheticSpec, make_example
from slimsep.errors import SlimsepError
from slimsep.evaluation import separation_metrics


@pytest.mark.parametrize("gain", [1e30, 1e-30])
def test_metrics_do_not_depend_on_the_level(gain: float) -> None:
    """Before: x 1e30 gave a ValueError from the BSS-eval permutation solver (energies overflowed)."""
    ref = torch.randn(2, 4000, generator=torch.Generator().manual_seed(0))
    mix = ref.sum(0)
    est = ref + 0.3 * ref.flip(0)
    plain = separation_metrics(est, ref, mix)
    scaled = separation_metrics((est.double() * gain).float(), (ref.double() * gain).float(),
                                (mix.double() * gain).float())
    for key, value in plain.items():
        assert scaled[key] == pytest.approx(value, abs=1e-3), key


def test_non_finite_signals_are_one_clear_error() -> None:
    ref = torch.randn(2, 1000)
    with pytest.raises(SlimsepError, match="NaN or Inf"):
        separation_metrics(ref * float("inf"), ref, ref.sum(0))


def test_evaluate_on_signals_times_1e30_names_the_items(tmp_path: Path, tiny_model_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The network's estimates overflow at that level: each item is named and left out, not a traceback."""
    folder = tmp_path / "data" / "test" / "ov100_na0"
    for i in range(2):
        mix, src = make_example(SyntheticSpec(seconds=1.5), i)
        for kind, audio in (("mix_clean", mix), ("mix_both", mix), ("s1", src[0]), ("s2", src[1])):
            (folder / kind).mkdir(parents=True, exist_ok=True)
            sf.write(folder / kind / f"loud{i}.wav", audio.numpy() * np.float32(1e30), 8000, subtype="FLOAT")
    code = main(["evaluate", "--model", str(tiny_model_path), "--data", str(tmp_path / "data"), "--threads", "1",
                 "-o", str(tmp_path / "report")])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    rows = {r["id"]: r for r in csv.DictReader(open(tmp_path / "report" / "utterances.csv"))}
    assert all("NaN or Inf" in rows[f"loud{i}"]["excluded"] and f"loud{i}" in err for i in range(2))
