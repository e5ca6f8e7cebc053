"""The evaluation report: a full disk while writing it, and its trade-off plot."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from slimsep.cli.main import main


def test_a_full_disk_while_writing_the_report(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_text = Path.write_text

    def full_for_the_summary(self: Path, *args: object, **kwargs: object) -> int:
        if self.name.startswith(".summary.json."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_the_summary)
    out = tmp_path / "report"
    code = main(["evaluate", "--model", str(tiny_model_path), "--no-sdr", "--limit", "1", "-q", "--data",
                 str(condition_tree), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err == (f"slimsep: error: {out / 'summary.json'}: the disk is full (No space left on "
                                 f"device); free some space or write to another disk\n"), err
    assert not (out / "summary.json").exists() and not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_plot_with_no_scored_point_draws_no_empty_legend(tmp_path: Path) -> None:
    """Every item left out (non-finite estimates): the plot is still written, without matplotlib's warning about
    a legend with no entries (which reached users of ``evaluate``)."""
    import warnings

    from slimsep.evaluation.report import tradeoff_plot

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tradeoff_plot({}, {}, tmp_path / "plot.png").is_file()
