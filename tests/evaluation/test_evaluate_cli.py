"""``slimsep evaluate`` over several operating points: CSV, Markdown per condition, JSON and the PNG."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from slimsep.cli.main import main


def test_evaluate_writes_every_report(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_path), "--budget", "0", "5", "--width", "0.25",
                 "--data", str(condition_tree), "-o", str(out)])
    assert code == 0
    rows = list(csv.DictReader(open(out / "utterances.csv")))
    assert len(rows) == 3 * 2 * 2  # operating points x conditions x utterances
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"tiny budget 0", "tiny budget 5", "tiny at 0.25"}
    assert set(summary["tiny at 0.25"]) == {"ov100_na0", "ov25_na0", "all"}
    assert summary["tiny at 0.25"]["all"]["gmac_per_s"] < summary["tiny budget 0"]["all"]["gmac_per_s"]
    shares = [float(r["share_0.25"]) for r in rows if r["point"] == "tiny at 0.25"]
    assert all(s == 1.0 for s in shares)
    report = (out / "summary.md").read_text()
    assert "| ov100_na0 | ov25_na0 | all |" in report
    assert "measured CPU milliseconds per second of audio" in report
    assert report.count("| tiny at 0.25 |") == 3  # SI-SDRi, SDRi and CPU-time tables
    assert (out / "tradeoff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_without_conditions_is_a_clear_error(tmp_path: Path, tiny_model_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test").mkdir()
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(tmp_path), "-o", str(tmp_path / "r")]) == 2
    assert "no condition folders" in capsys.readouterr().err
