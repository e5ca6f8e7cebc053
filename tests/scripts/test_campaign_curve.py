"""``scripts/campaign_curve.py``: a run folder's validations appended to the committed curve once, the stopping
rule's gain per day, and the figure."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.scripts import load_script


def _script():  # noqa: ANN202 (the script as a module)
    return load_script("campaign_curve")


def _run_folder(root: Path) -> Path:
    """Two logger versions as a resumed run leaves them: training rows without validation, a validation at
    step 499 without CPU hours (an older process), then one at 999 with them."""
    header = ["epoch", "step", "train/si_sdr_full", "val/si_sdri", "val/si_sdri_slimmest", "val/cpu_hours"]
    rows = {0: [[0, 24, 1.0, "", "", ""], [0, 499, "", 2.95, 0.99, ""]],
            1: [[1, 524, 1.2, "", "", ""], [1, 999, "", 3.21, 1.55, 0.5]]}
    for version, lines in rows.items():
        path = root / "run" / "logs" / f"version_{version}" / "metrics.csv"
        path.parent.mkdir(parents=True)
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([header, *lines])
    return root / "run"


def test_a_run_is_added_once_and_the_day_gain_follows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cc = _script()
    table = tmp_path / "curve.csv"
    with open(table, "w", newline="") as f:
        writer = csv.DictWriter(f, cc.COLUMNS)
        writer.writeheader()
        writer.writerow({"network": "conv", "day": "5", "run": "runs/run", "stage": "slimmable",
                         "campaign_step": "5134", "cpu_hours": "2.6", "cpu_hours_measured": "no",
                         "val_full_db": "2.64", "val_slimmest_db": "0.14"})
    run = _run_folder(tmp_path)
    args = ["--csv", str(table), "--add", str(run), "--network", "conv", "--day", "6", "--steps-before", "5000",
            "--cpu-hours-before", "3.0"]
    assert cc.main([*args, "--out", str(tmp_path / "fig" / "curve")]) == 0
    out = capsys.readouterr().out
    assert "2 validation(s) added" in out and "| conv | 6 | +3.21 | +0.57 |" in out
    assert (tmp_path / "fig" / "curve.png").stat().st_size > 10_000
    rows = cc.read_rows(table)
    assert [(r["campaign_step"], r["cpu_hours"], r["cpu_hours_measured"]) for r in rows[1:]] == [
        ("5499", "", "no"), ("5999", "3.500", "yes")]
    cc.main(args)
    assert "0 validation(s) added" in capsys.readouterr().out and len(cc.read_rows(table)) == 3


def test_through_step_leaves_later_validations_to_the_next_day(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A run that went on after a session's end: its later validation joins the next day, so each day's gain
    counts only what that day trained."""
    cc = _script()
    table, run = tmp_path / "curve.csv", _run_folder(tmp_path)
    args = ["--csv", str(table), "--add", str(run), "--network", "conv", "--steps-before", "5000"]
    cc.main([*args, "--day", "6", "--through-step", "500"])
    assert [r["campaign_step"] for r in cc.read_rows(table)] == ["5499"]
    cc.main([*args, "--day", "7"])
    assert [(r["day"], r["campaign_step"]) for r in cc.read_rows(table)] == [("6", "5499"), ("7", "5999")]
    assert "| conv | 7 | +3.21 | +0.26 |" in capsys.readouterr().out


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a slimsep train run folder"):
        _script().main(["--csv", str(tmp_path / "c.csv"), "--add", str(tmp_path), "--network", "x", "--day", "1"])


def test_the_best_so_far_view_counts_no_gain_for_a_restart_from_an_earlier_snapshot() -> None:
    """A network that fell on day 2, then a fork from its best snapshot on day 3: the fork's last value is above
    day 2's last, but not above the best the campaign had; the best-so-far view says so."""
    cc = _script()
    rows = [{"network": n, "day": str(d), "campaign_step": str(s), "val_full_db": str(v)}
            for n, d, s, v in [("a", 1, 500, 5.0), ("a", 2, 1000, 5.5), ("a", 2, 1500, 5.1),
                               ("b", 3, 1500, 5.4), ("b", 3, 2000, 5.45)]]
    assert [(n, d, round(v, 2), None if g is None else round(g, 2)) for n, d, v, g in cc.day_gains(rows)] == [
        ("a", 1, 5.0, None), ("a", 2, 5.1, 0.1), ("b", 3, 5.45, None)]
    assert [(d, round(v, 2), None if g is None else round(g, 2)) for d, v, g in cc.best_gains(rows)] == [
        (1, 5.0, None), (2, 5.5, 0.5), (3, 5.5, 0.0)]
