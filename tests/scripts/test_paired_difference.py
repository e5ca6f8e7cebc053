"""scripts/paired_difference.py: paired mean and standard error over shared mixtures, one-line errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "paired_difference.py"


def _report(folder: Path, point: str, values: dict[str, float]) -> Path:
    folder.mkdir()
    lines = ["point,kind,condition,id,si_sdri,excluded"]
    lines += [f"{point},dsn,{mid.rsplit('_', 1)[0]},{mid},{v}," for mid, v in values.items()]
    (folder / "utterances.csv").write_text("\n".join(lines) + "\n")
    return folder


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_paired_difference_per_condition_and_pooled(tmp_path: Path) -> None:
    a = _report(tmp_path / "a", "new", {"c1_0": 3.0, "c1_1": 5.0, "c2_0": 1.0, "only_a": 9.0})
    b = _report(tmp_path / "b", "old", {"c1_0": 2.0, "c1_1": 2.0, "c2_0": 1.0})
    out = _run(str(a), "new", str(b), "old")
    assert out.returncode == 0, out.stderr
    rows = {line.split("|")[1].strip(): line for line in out.stdout.splitlines()[2:]}
    assert "+2.00 | 1.00 | 2 |" in rows["c1"]  # diffs 1 and 3: mean 2, s.e. = std (ddof 1) sqrt(2) / sqrt(2)
    assert "+1.33" in rows["all"] and rows["all"].endswith("| 3 |")  # the mixture only A has is left out


@pytest.mark.parametrize("point, message", [("missing", "no point 'missing'; it has new"),
                                            ("new", "share no mixtures")])
def test_paired_difference_errors_are_one_line(tmp_path: Path, point: str, message: str) -> None:
    a = _report(tmp_path / "a", "new", {"c1_0": 1.0})
    b = _report(tmp_path / "b", "new", {"c1_9": 1.0})
    out = _run(str(a), point, str(b), "new")
    assert out.returncode == 1 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_conditions_are_listed_by_value_not_as_strings(tmp_path: Path) -> None:
    values = {"ov100_na100_0": 1.0, "ov100_na50_0": 1.0, "ov25_na0_0": 1.0, "ov100_na0_0": 1.0}
    out = _run(str(_report(tmp_path / "a", "p", values)), "p", str(_report(tmp_path / "b", "q", values)), "q")
    assert [line.split("|")[1].strip() for line in out.stdout.splitlines()[2:]] == [
        "ov100_na0", "ov100_na50", "ov100_na100", "ov25_na0", "all"]
