"""scripts/check_pipeline.py: issue 25's table from an open-corpus root, a one-line error without one."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import voice_tone
from tests.data.conftest import write

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_pipeline.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_table_rows_from_a_corpus(tmp_path: Path) -> None:
    """Three speakers of pause-free tones: every row sums exactly and the both-active share follows the setting."""
    rows = ["path,speaker,gender,language,split,samples,seconds"]
    for k in range(3):
        write(tmp_path / f"s{k}.wav", voice_tone(3.0, 150 + 90 * k, k))
        rows.append(f"s{k}.wav,s{k},,,train,24000,3.000")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    out = _run("--corpus", str(tmp_path), "--n", "4", "--segment", "2")
    assert out.returncode == 0, out.stderr
    table = {line.split("|")[1].strip(): line.split("|")[2:] for line in out.stdout.splitlines()
             if line.startswith("| dynamic") or line.startswith("| tensor")}
    assert list(table) == ["dynamic 100%", "dynamic 50%", "dynamic 25%", "tensor 100/50/25 %"]
    assert all("NO" not in cells[0] for cells in table.values())
    both = [float(cells[3].strip(" %")) for cells in list(table.values())[:3]]
    assert both == pytest.approx([100, 50, 25], abs=5)  # 20 frames of 100 ms: the talker change may add one


def test_without_a_corpus_it_says_what_to_give() -> None:
    out = _run()
    assert out.returncode != 0 and "give --corpus" in out.stderr
