"""``slimsep evaluate`` over several operating points: CSV, Markdown per condition, JSON and the PNG."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.evaluation.report import load_reports, tradeoff_plot


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
    assert json.loads((out / "points.json").read_text()) == {"tiny budget 0": "dsn", "tiny budget 5": "dsn",
                                                             "tiny at 0.25": "slimmable"}
    assert {r["precision"] for r in rows} == {"float32"}  # the default, so reports compare across machines


def test_evaluate_at_bfloat16_says_so_per_utterance(condition_tree: Path, tiny_model_path: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(condition_tree), "--no-sdr", "-q",
                 "--precision", "bfloat16", "-o", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "utterances.csv")))
    assert rows and {r["precision"] for r in rows} == {"bfloat16"}
    assert all(abs(float(r["si_sdri"])) < 100 for r in rows)


def test_reports_merge_with_later_points_replacing_earlier(tmp_path: Path) -> None:
    """Two reports give one table; a label evaluated again takes its newer numbers."""
    def report(name: str, points: dict[str, tuple[str, float]]) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(
            {label: {"all": {"si_sdri": v, "gmac_per_s": 1.0, "n": 1}} for label, (_, v) in points.items()}))
        (folder / "points.json").write_text(json.dumps({label: kind for label, (kind, _) in points.items()}))
        return folder

    old = report("old", {"static 1": ("static", 2.0), "dsn budget 0": ("dsn", 1.0)})
    new = report("new", {"dsn budget 0": ("dsn", 1.5), "dsn2 budget 0": ("dsn", 1.7)})
    summary, kinds, origins = load_reports([old, new])
    assert {k: v["all"]["si_sdri"] for k, v in summary.items()} == {"static 1": 2.0, "dsn budget 0": 1.5,
                                                                   "dsn2 budget 0": 1.7}
    assert kinds == {"static 1": "static", "dsn budget 0": "dsn", "dsn2 budget 0": "dsn"}
    assert origins == {"static 1": "old", "dsn budget 0": "new", "dsn2 budget 0": "new"}
    assert tradeoff_plot(summary, kinds, tmp_path / "plot.png").is_file()


def test_a_folder_that_is_not_a_report_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(SlimsepError, match="missing .*points.json"):
        load_reports([tmp_path])


def test_evaluate_without_conditions_is_a_clear_error(tmp_path: Path, tiny_model_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test").mkdir()
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(tmp_path), "-o", str(tmp_path / "r")]) == 2
    assert "no condition folders" in capsys.readouterr().err


def test_a_split_that_does_not_exist_is_named_with_the_ones_that_do(condition_tree: Path, tiny_model_path: Path,
                                                                     tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--model", str(tiny_model_path), "--data", str(condition_tree), "--split", "nope",
                 "-o", str(tmp_path / "r")]) == 2
    assert f"{condition_tree}: no split folder 'nope' (found: test)" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_width_one_model_lacks_is_skipped_with_a_note(condition_tree: Path, tiny_model_path: Path,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Models with different width sets share one call; the missing width is named before any scoring."""
    from slimsep.models import load_model, restrict_widths, save_model

    two = save_model(restrict_widths(load_model(tiny_model_path), (0.125, 1.0)), tmp_path / "two" / "model.pt",
                     metadata={"stage": "gate"})
    out = tmp_path / "report"
    assert main(["evaluate", "--model", str(tiny_model_path), str(two), "--width", "0.25", "--no-sdr",
                 "--data", str(condition_tree), "-o", str(out)]) == 0
    assert "has no width 0.25 (its widths: 0.125, 1); skipped" in capsys.readouterr().err
    assert set(json.loads((out / "points.json").read_text())) == {"tiny budget 0", "tiny at 0.25", "two budget 0"}


def test_two_models_with_one_label_are_refused_before_any_work(condition_tree: Path, tiny_model_path: Path,
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``a/step400.pt`` and ``b/step400.pt`` were averaged into one row "step400" before."""
    copies = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        copies.append(tmp_path / folder / "same.pt")
        copies[-1].write_bytes(tiny_model_path.read_bytes())
    code = main(["evaluate", "--model", *map(str, copies), "--data", str(condition_tree), "-o", str(tmp_path / "r")])
    assert code == 2 and "two models give the operating point 'same budget 0'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_tradeoff_curves_never_join_two_models() -> None:
    """The plot once drew one line through every DSN point of every report, zig-zagging between models."""
    from slimsep.evaluation.report import tradeoff_curves

    def row(si: float, gmac: float) -> dict:
        return {"all": {"si_sdri": si, "gmac_per_s": gmac}}

    summary = {"new budget 0": row(1.4, 1.0), "new at 1": row(1.7, 1.7), "new at 0.5": row(1.2, 0.9),
               "old budget 0": row(1.0, 0.9), "old budget 2": row(0.9, 0.8), "old at 1": row(1.2, 1.7),
               "static_w1.0 (static 1)": row(1.1, 1.7), "static_w0.5 (static 0.5)": row(1.0, 0.9)}
    kinds = {k: "static" if k.startswith("static") else "slimmable" if " at " in k else "dsn" for k in summary}
    curves = tradeoff_curves(summary, kinds)
    assert sorted(curves) == [("dsn", "new"), ("dsn", "old"), ("slimmable", "new"), ("slimmable", "old"),
                              ("static", "")]
    assert [p[2] for p in curves[("dsn", "old")]] == ["old budget 2", "old budget 0"]  # sorted by GMAC/s
    assert [p[2] for p in curves[("static", "")]] == ["static_w0.5 (static 0.5)", "static_w1.0 (static 1)"]
