"""Atomic writes: the destination holds the old file or the complete new one, never a part, and no temporary stays."""
from __future__ import annotations

import errno
import math
from pathlib import Path

import pytest

from slimsep.atomic import atomic_path, write_json_atomic, write_text_atomic
from slimsep.errors import SlimsepError


def test_a_completed_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = write_text_atomic(tmp_path / "report.json", "old")
    with atomic_path(target, ".tmp.png") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".report.json.") and tmp.name.endswith(".tmp.png")
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = write_text_atomic(tmp_path / "model.pt", "old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_json_reports_refuse_non_finite_numbers(tmp_path: Path) -> None:
    with pytest.raises(SlimsepError, match="not finite"):
        write_json_atomic(tmp_path / "r.json", {"budget": math.nan})
    assert not list(tmp_path.iterdir()), "nothing written, not even a temporary file"


def test_a_folder_as_the_destination_is_a_clear_error_before_any_write(tmp_path: Path) -> None:
    """A rename cannot replace a folder: refused up front (one line naming it), nothing written, folder kept."""
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(SlimsepError, match="out: is a folder"), atomic_path(folder) as tmp:
        tmp.write_text("model")
    assert folder.is_dir() and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_full_disk_during_a_write_is_one_line_naming_the_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 45: ENOSPC while writing a report keeps the old file, leaves no temporary, and names the file."""
    target = write_text_atomic(tmp_path / "summary.md", "old")

    def full(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(SlimsepError, match=rf"^{target}: the disk is full \(No space left on device\); "):
        write_text_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_a_real_full_device_is_named_too(tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does (Linux)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    target = tmp_path / "report.csv"
    with pytest.raises(SlimsepError, match=f"^{target}: the disk is full"), atomic_path(target) as tmp:
        with open("/dev/full", "w") as full:
            full.write("x" * 100_000)
        tmp.write_text("never reached")
    assert list(tmp_path.iterdir()) == []
