"""scripts/results_page.py: ``--drop`` leaves an operating point out of the page and its plot, and names a label
that none of the reports holds instead of ignoring it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.scripts import SCRIPTS, load_script

REPORT = SCRIPTS.parent / "docs" / "results_src" / "reports" / "campaign_2026-12-06" / "test_noisy"
STATIC = "campaign_conv_static (static 1)"


def _page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> str:
    out = tmp_path / "page.md"
    monkeypatch.setattr(sys, "argv", ["results_page.py", str(REPORT), "-o", str(out), *extra])
    load_script("results_page").main()
    return out.read_text()


def test_drop_leaves_the_point_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert STATIC in _page(tmp_path, monkeypatch)
    page = _page(tmp_path, monkeypatch, "--drop", STATIC)
    assert STATIC not in page and "campaign_conv_gate_day7_t0.75 budget 0" in page


def test_drop_of_an_unknown_label_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _page(tmp_path, monkeypatch, "--drop", "no such point")
    assert exit_info.value.code == 2
