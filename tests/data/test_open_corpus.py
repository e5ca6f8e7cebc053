"""Pieces of the open-corpus build that run without the network: trimming, joining, fetching errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimsep.data import debian
from slimsep.data.open_corpus import join_utterances, summarise, trim_silence
from slimsep.errors import SlimsepError
from tests.data.conftest import tone


def test_trim_silence_keeps_speech_and_a_margin() -> None:
    speech = tone(1.0, 200)
    clip = np.concatenate([np.zeros(4000, np.float32), speech, np.zeros(8000, np.float32)])
    trimmed = trim_silence(clip, 8000, margin=0.05)
    assert 8000 <= trimmed.size <= 8000 + 2 * 400 + 160
    assert trim_silence(np.zeros(8000, np.float32), 8000).size == 0


def test_join_utterances_lengths() -> None:
    clips = [tone(1.3, 200 + i) for i in range(20)]
    utts = join_utterances(clips, np.random.default_rng(0), 8000)
    assert utts and all(3 * 8000 <= u.size <= 8 * 8000 for u in utts)


def test_summary_counts_hours_and_speakers() -> None:
    rows = [{"path": "sources/test/a/x.wav", "speaker": "a", "gender": "f", "split": "test", "seconds": "1800"},
            {"path": "sources/test/b/y.wav", "speaker": "b", "gender": "m", "split": "test", "seconds": "1800"},
            {"path": "noise/test/n.wav", "speaker": "", "gender": "", "split": "test", "seconds": "36"}]
    s = summarise(rows)
    assert s["speech_test"]["hours"] == pytest.approx(1.0) and s["speech_test"]["speakers"] == {"a": "f", "b": "m"}
    assert s["noise_test"]["files"] == 1


def test_fetch_without_apt_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)
    with pytest.raises(SlimsepError, match="apt-get.*is not available"):
        debian.fetch_package("codec2-examples", cache=tmp_path)


def test_fetch_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    done = debian.unpacked_dir("pkg", tmp_path)
    done.mkdir(parents=True)
    (done / ".complete").write_text("pkg_1_all.deb\n")
    monkeypatch.setattr(debian.subprocess, "run", lambda *a, **k: pytest.fail("no download when cached"))
    assert debian.fetch_package("pkg", cache=tmp_path) == done
