"""``slimsep evaluate``'s --limit, --threads and --overwrite (issue 45, item 11 and caveats): counts that would
evaluate nothing are one line and exit 2, an earlier report is kept unless --overwrite, and a run into a log says
how far it is."""
from __future__ import annotations

from pathlib import Path

import pytest

import slimsep.progress
from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.evaluation import evaluate_point


def _evaluate(model: Path, data: Path, out: Path, *extra: str) -> int:
    return main(["evaluate", "--model", str(model), "--data", str(data), "--no-sdr", "-o", str(out), *extra])


@pytest.mark.parametrize("value", ["-1", "0"])
def test_limit_below_one_is_refused(condition_tree: Path, tiny_model_path: Path, tmp_path: Path, value: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``--limit -1`` evaluated nothing, wrote an empty report and exited 0."""
    assert _evaluate(tiny_model_path, condition_tree, tmp_path / "r", "--limit", value) == 2
    assert capsys.readouterr().err == (f"slimsep: error: --limit {value}: must be at least 1 (leave it out to "
                                       f"evaluate every utterance)\n")
    assert not (tmp_path / "r").exists()


def test_evaluate_point_refuses_a_limit_below_one(tiny_model: object) -> None:
    with pytest.raises(SlimsepError, match=r"^limit -1: must be at least 1"):
        evaluate_point(tiny_model, None, {}, limit=-1)  # type: ignore[arg-type]


def test_negative_threads_are_one_line(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Was a torch traceback."""
    assert _evaluate(tiny_model_path, condition_tree, tmp_path / "r", "--threads", "-1") == 2
    assert capsys.readouterr().err == "slimsep: error: --threads -1: must be at least 1 (leave it out for the default)\n"


def test_an_earlier_report_is_kept_unless_overwrite(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert _evaluate(tiny_model_path, condition_tree, out, "--limit", "1", "-q") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert _evaluate(tiny_model_path, condition_tree, out, "--limit", "1", "-q", "--width", "0.5") == 2
    err = capsys.readouterr().err
    assert err == (f"slimsep: error: {out / 'utterances.csv'}: output exists (an earlier evaluate report); pass "
                   f"--overwrite to replace it\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _evaluate(tiny_model_path, condition_tree, out, "--limit", "1", "-q", "--width", "0.5", "--overwrite") == 0
    assert "tiny at 0.5" in (out / "summary.md").read_text()


def test_progress_lines_when_stderr_is_a_log(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Not a terminal (capsys): lines, not a bar (every update here; about every 30 s in use)."""
    monkeypatch.setattr(slimsep.progress, "HEARTBEAT_S", 0.0)
    assert _evaluate(tiny_model_path, condition_tree, tmp_path / "r") == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("slimsep: tiny budget 0: ")]
    assert len(lines) == 4 and lines[0].startswith("slimsep: tiny budget 0: 1/4 done, ")
    assert "left" in lines[0] and lines[-1].startswith("slimsep: tiny budget 0: 4/4 done")
