"""``slimsep demo-page`` says where it wrote the page when it ends (issue 45 caveats)."""
from __future__ import annotations

from pathlib import Path

import pytest

from slimsep.cli.main import main


def test_demo_page_names_the_page_it_wrote(condition_tree: Path, tiny_model_path: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-page", "--model", str(tiny_model_path), "--data", str(condition_tree), "--per-condition", "1",
                 "-q", "-o", str(tmp_path / "site")]) == 0
    assert capsys.readouterr().out == f"page written to {tmp_path / 'site' / 'index.html'}\n"
