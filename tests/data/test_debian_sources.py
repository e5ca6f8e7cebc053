"""Who speaks in the new sources: roles, skipped links and repeats, held-out languages never read, splits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.data import game_formats as gf
from slimsep.data.sources import debian_games, speaker
from slimsep.data.sources.speaker import Speaker
from slimsep.errors import SlimsepError


def _als(path: Path, seconds: float, f0: float = 120.0) -> None:
    t = np.arange(int(seconds * gf.GAME_RATE)) / gf.GAME_RATE
    pcm = np.round(128 + 60 * np.sin(2 * np.pi * f0 * t)).astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(gf.DRASCULA_HEAD) + pcm + bytes(gf.DRASCULA_TAIL))


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Unpacked fake packages; fetch_package returns their folders."""
    monkeypatch.setattr(debian_games, "fetch_package", lambda name: tmp_path / name)
    return tmp_path


def test_drascula_roles_skip_effects_links_and_repeated_english(packages: Path) -> None:
    en = packages / "drascula/usr/share/scummvm/drascula/en"
    for name, seconds in (("1.ALS", 1.0), ("2.ALS", 1.2), ("BJ1.ALS", 1.0), ("S3.ALS", 0.5), ("D7.ALS", 0.8)):
        _als(en / name, seconds)
    es = packages / "drascula-spanish/usr/share/scummvm/drascula/es"
    _als(es / "1.ALS", 0.7)
    _als(es / "BJ1.ALS", 0.6, f0=220.0)
    (es / "2.ALS").symlink_to("../en/2.ALS")
    _als(es / "D7.ALS", 0.8)  # the English recording again (same length): not a Spanish voice
    it = packages / "drascula-italian/usr/share/scummvm/drascula/it"
    _als(it / "BJ1.ALS", 1.5)  # re-recorded
    _als(it / "D7.ALS", 0.8)  # not a re-dubbed role
    _als(it / "1.ALS", 1.0)  # the English length again
    english = {s.name: s for s in debian_games.drascula("drascula", "en")}
    assert sorted(english) == ["drascula_en_BJ", "drascula_en_D", "drascula_en_hero"]  # S = sound effects
    assert len(english["drascula_en_hero"].clips) == 2 and english["drascula_en_BJ"].gender == "f"
    spanish = {s.name: s for s in debian_games.drascula("drascula-spanish", "es")}
    assert len(spanish["drascula_es_hero"].clips) == 1  # the link to ../en is not a Spanish line
    assert "drascula_es_D" not in spanish
    assert all(s.split == "test" for s in spanish.values())
    italian = list(debian_games.drascula("drascula-italian", "it"))
    assert [s.name for s in italian] == ["drascula_it_BJ"] and len(italian[0].clips) == 1
    audio, sr = italian[0].clips[0]()
    assert sr == gf.GAME_RATE and audio.shape[0] == int(1.5 * gf.GAME_RATE)


def _ogg(path: Path, f0: float = 130.0, seconds: float = 0.8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * 16000)) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32), 16000, format="OGG")


def test_tuxpaint_never_reads_greek_bulgarian_or_spanish(packages: Path) -> None:
    stamps = packages / "tuxpaint-stamps-default/usr/share/tuxpaint/stamps/animals"
    for lang in ("el", "bg", "es", "da", "ro"):
        _ogg(stamps / f"cat_desc_{lang}.ogg")
    _ogg(stamps / "dog_desc_da.ogg.ogg")
    found = {s.name: s for s in debian_games.tuxpaint()}
    assert sorted(found) == ["tuxpaint_da", "tuxpaint_ro"]
    assert len(found["tuxpaint_da"].clips) == 2 and found["tuxpaint_da"].gender == "m"  # from the changelog
    assert found["tuxpaint_ro"].gender_estimated and found["tuxpaint_ro"].gender == "m"  # 130 Hz


def test_ktuberling_skips_held_out_folders_and_splits_two_voice_sets(packages: Path) -> None:
    sounds = packages / "ktuberling-data/usr/share/ktuberling/sounds"
    for folder in ("gl", "de", "it", "nds", "ru", "uk", "sr", "sr@latin", "en"):
        _ogg(sounds / folder / "ball.ogg")
    for k, f0 in enumerate((110.0, 120.0, 220.0)):
        _ogg(sounds / "ca" / f"word{k}.ogg", f0)
    (sounds / "en.soundtheme").write_text("<language/>")
    found = {s.name: s for s in debian_games.ktuberling()}
    assert sorted(found) == ["ktuberling_ca_f", "ktuberling_ca_m", "ktuberling_en", "ktuberling_sr"]
    assert len(found["ktuberling_ca_m"].clips) == 2 and len(found["ktuberling_ca_f"].clips) == 1
    assert not found["ktuberling_ca_m"].certain and found["ktuberling_en"].certain


def test_splits_hold_the_documented_voices() -> None:
    def split(name: str) -> str:
        return Speaker(name, "u", "xx").split
    assert split("drascula_es_VB") == "test" and split("asterisk_fr_June") == "test"
    assert {split(n) for n in speaker.VALID_SPEAKERS} == {"valid"}
    assert split("bass_v03") == "train" and split("drascula_en_hero") == "train" and split("drascula_it_BJ") == "train"


@pytest.mark.slow
def test_bass_voices_are_clustered_estimates_and_the_decode_is_cached(packages: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import propack

    from tests.data.test_game_formats import fake_sky
    from tests.data.test_voice_labels import voiced

    folder = packages / "beneath-a-steel-sky/usr/share/scummvm/beneath-a-steel-sky"
    folder.mkdir(parents=True)
    entries = []
    for k, (f0, bright) in enumerate(((100.0, 0.7), (105.0, 0.7), (110.0, 0.7), (230.0, 0.3), (240.0, 0.3),
                                      (250.0, 0.3))):
        x = voiced(f0, sr=gf.GAME_RATE, bright=bright, seed=k)
        pcm = np.round(128 + 127 * np.clip(x / np.abs(x).max() * 0.6, -1, 1)).astype(np.uint8).tobytes()
        entries.append((50000 + k, bytes(gf.SKY_HEADER) + propack.pack(pcm, method=1), False))
    fake_sky(folder, entries)
    monkeypatch.setattr(debian_games, "BASS_VOICES", 2)
    monkeypatch.setenv("SLIMSEP_CACHE", str(packages / "cache"))
    voices = list(debian_games.bass())
    assert [len(v.clips) for v in voices] == [3, 3] and {v.gender for v in voices} == {"m", "f"}
    assert not any(v.certain for v in voices) and all(v.split == "train" for v in voices)
    assert (packages / "cache/debian/decoded/beneath-a-steel-sky-8k.npz").is_file()
    monkeypatch.setattr(gf, "read_sky_speech", lambda *a: pytest.fail("decoded again despite the cache"))
    again = list(debian_games.bass())
    np.testing.assert_array_equal(again[0].clips[0]()[0], voices[0].clips[0]()[0])


def test_broken_audio_file_is_one_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "cat_desc_da.ogg"
    _ogg(path)
    path.write_bytes(path.read_bytes()[:60])  # truncated inside the first Ogg page
    with pytest.raises(SlimsepError, match=r"cat_desc_da.ogg: unreadable audio"):
        speaker.file_clip(path)()
