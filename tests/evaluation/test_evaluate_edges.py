"""``slimsep evaluate`` on data it must not average in or must not run on: degenerate items and a sample rate the
model was not made for (issue 19)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.data.synthetic import SyntheticSpec, make_example
from slimsep.models import DSN, get_config, save_model


def _write_item(folder: Path, name: str, mix: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> None:
    for kind, audio in (("mix_clean", mix), ("mix_both", mix), ("s1", s1), ("s2", s2)):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        sf.write(folder / kind / f"{name}.wav", audio, 8000, subtype="FLOAT")


@pytest.fixture
def tree_with_degenerate_items(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "test" / "ov100_na0"
    for i in range(2):
        mix, src = make_example(SyntheticSpec(seconds=1.5), i)
        _write_item(folder, f"good{i}", mix.numpy(), src[0].numpy(), src[1].numpy())
    voice = src[0].numpy()
    _write_item(folder, "silent_ref", voice, voice, np.zeros_like(voice))
    _write_item(folder, "same_twice", 2 * voice, voice, voice)
    return tmp_path / "data"


def test_degenerate_items_are_named_and_left_out_of_the_means(tree_with_degenerate_items: Path, tiny_model_path: Path,
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_path), "--no-sdr", "--data", str(tree_with_degenerate_items),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())["tiny budget 0"]
    assert summary["all"]["n"] == 2 and summary["all"]["excluded"] == 2
    rows = {r["id"]: r for r in csv.DictReader(open(out / "utterances.csv"))}
    assert rows["good0"]["excluded"] == "" and rows["good0"]["si_sdri"]
    assert "silent" in rows["silent_ref"]["excluded"] and rows["silent_ref"]["si_sdri"] == ""
    assert "same signal" in rows["same_twice"]["excluded"]
    report = (out / "summary.md").read_text()
    assert "silent_ref" in report and "same_twice" in report
    assert "silent_ref" in err and "same_twice" in err


def test_a_model_at_another_sample_rate_than_the_data_is_refused(condition_tree: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    model16k = save_model(DSN(get_config("tiny", sample_rate=16000)), tmp_path / "m16k.pt")
    out = tmp_path / "report"
    code = main(["evaluate", "--model", str(model16k), "--data", str(condition_tree), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "8000 Hz" in err and "16000 Hz" in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan", "-1"])
def test_a_bad_budget_is_refused_before_any_work(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                                 value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--model", str(tiny_model_path), "--budget", value, "--data", str(condition_tree),
                 "-o", str(tmp_path / "r")])
    assert code == 2 and f"--budget {value}" in capsys.readouterr().err


def test_evaluate_reference_shorter_than_its_mixture_or_truncated(tree_with_degenerate_items: Path,
                                                                  tiny_model_path: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 28: a bad item is named and skipped; the evaluation of the others goes on."""
    folder = tree_with_degenerate_items / "test" / "ov100_na0"
    short = folder / "s1" / "good0.wav"
    sf.write(short, sf.read(short, dtype="float32")[0][:4000], 8000, subtype="FLOAT")
    cut = folder / "s2" / "good1.wav"
    cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 2])  # a WAV cut off mid-write
    out = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_path), "--no-sdr", "--data", str(tree_with_degenerate_items),
                 "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    rows = {r["id"]: r for r in csv.DictReader(open(out / "utterances.csv"))}
    assert rows["good0"]["excluded"].startswith(f"{short}: has 4000 samples, its mixture")
    assert rows["good1"]["excluded"].startswith(f"{cut}: has ")
    assert f"{short}: has 4000 samples" in err and str(cut) in err
    assert "good0" in (out / "summary.md").read_text(), "the report lists what was skipped"


def test_evaluate_output_naming_an_existing_file(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import slimsep.evaluation

    monkeypatch.setattr(slimsep.evaluation, "evaluate_point", lambda *a, **k: pytest.fail("checked before any work"))
    blocker = tmp_path / "report.txt"
    blocker.write_text("keep")
    code = main(["evaluate", "--model", str(tiny_model_path), "--data", str(condition_tree), "-o", str(blocker)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"slimsep: error: {blocker}: output folder is a file, not a folder\n"
    assert blocker.read_text() == "keep"
