"""Pieces of the open-corpus build that run without the network: trimming, joining, fetching errors."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from slimsep.data import debian
from slimsep.cli.data_cmd import format_summary
from slimsep.data.open_corpus import join_utterances, split_long, summarise, summarise_sources
from slimsep.data.sources.levels import LEVEL_DBFS, PEAK_MAX, active_rms, normalise_level, trim_silence
from slimsep.errors import SlimsepError
from tests.conftest import Terminal
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


def test_short_clips_become_3_to_6_second_utterances_of_joined_words() -> None:
    rng = np.random.default_rng(1)
    clips = [tone(float(rng.uniform(0.3, 1.6)), 200 + i) for i in range(60)]
    utts = join_utterances(clips, np.random.default_rng(0), 8000)
    assert len(utts) >= 8 and all(3 * 8000 <= u.size <= 6 * 8000 for u in utts)
    gap = np.zeros(int(0.12 * 8000), np.float32)
    assert any(np.array_equal(u[c.size:c.size + gap.size], gap) for u, c in zip(utts[:1], clips[:1]))
    assert sum(u.size for u in utts) >= 0.8 * sum(c.size for c in clips)  # little speech is lost


def test_long_clips_are_cut_not_truncated() -> None:
    clip = tone(14.0, 150)
    pieces = split_long(clip, 8000, 6.0, np.random.default_rng(0))
    assert sum(p.size for p in pieces) == clip.size and all(p.size <= 6 * 8000 for p in pieces)
    utts = join_utterances([clip], np.random.default_rng(0), 8000)
    assert all(3 * 8000 <= u.size <= 6 * 8000 for u in utts) and sum(u.size for u in utts) >= 8 * 8000


def test_level_is_the_stated_active_speech_rms() -> None:
    x = np.concatenate([tone(1.0, 200) * 0.01, np.zeros(8000, np.float32), tone(1.0, 300) * 0.01])
    y = normalise_level(x, 8000)
    assert 20 * np.log10(active_rms(y, 8000)) == pytest.approx(LEVEL_DBFS, abs=0.1)  # the pause does not count
    spiky = np.zeros(8000, np.float32)
    spiky[::800] = 1.0
    assert np.abs(normalise_level(spiky, 8000)).max() <= PEAK_MAX + 1e-6
    assert not normalise_level(np.zeros(100, np.float32), 8000).any()


def test_per_source_summary_counts_certain_and_estimated_voices() -> None:
    def row(split: str, speaker: str, source: str, voice: str, gender: str = "m", frm: str = "data") -> dict:
        return {"path": f"sources/{split}/{speaker}/x.wav", "speaker": speaker, "gender": gender, "split": split,
                "seconds": "360", "source": source, "voice": voice, "gender_from": frm}
    rows = [row("train", "bass_v00", "bass", "estimated", "f", "pitch"), row("train", "bass_v01", "bass", "estimated"),
            row("train", "bass_v01", "bass", "estimated"), row("test", "drascula_es_hero", "drascula", "certain")]
    table = summarise_sources(rows)
    assert table["train"]["bass"] == {"hours": pytest.approx(0.3), "files": 3, "voices": 2, "f": 1, "m": 1, "u": 0,
                                      "certain": 0, "estimated": 2, "gender_from_pitch": 1}
    assert table["test"]["drascula"]["certain"] == 1
    text = format_summary({"splits": summarise(rows), "sources": table, "level_dbfs": -26.0,
                           "conditions": ["ov100_na0"], "n_test_per_condition": 1, "n_valid_per_condition": 1,
                           "build_seconds": 3.0})
    assert "| train | bass | 0.30 | 3 | 2 | 1 / 1 / 0 | 0 / 2 | 1 |" in text and "built in 3 s" in text
    assert "| speech_train | 0.30 | 3 | 2 | 1 / 1 / 0 | 0 / 2 |" in text


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


@pytest.mark.parametrize("quiet", [False, True])
def test_fetching_the_speech_sources_shows_progress(monkeypatch: pytest.MonkeyPatch, quiet: bool) -> None:
    """The minutes of downloads and decoding before the first speaker line: a bar naming each source package."""
    from slimsep.data import sources
    from slimsep.data.sources import debian_games, debian_speech

    for module, name in [(debian_speech, "asterisk"), (debian_speech, "fillets"), (debian_speech, "fotaq"),
                         (debian_games, "drascula"), (debian_games, "bass"), (debian_games, "tuxpaint"),
                         (debian_games, "ktuberling"), (debian_games, "festvox_ru")]:
        monkeypatch.setattr(module, name, lambda *args: [])
    monkeypatch.setattr(sys, "stderr", terminal := Terminal())
    assert sources.debian_speakers(0, quiet=quiet) == []
    assert ("speech sources" in terminal.getvalue() and "festvox-ru" in terminal.getvalue()) != quiet
