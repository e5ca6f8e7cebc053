"""Speakers from the second wave of Debian speech packages: two adventure games, spoken words, a TTS voice's data.

Who speaks, per source (details in docs/data.md):

- ``drascula`` / ``drascula-italian`` / ``drascula-spanish``: the ``*.ALS`` file-name prefix names the role (no
  prefix = the protagonist, ``S`` = sound effects, skipped). Spanish is its own cast (links to ``../en`` skipped).
  Italian re-recorded three roles only (B, BJ, P); its other files are the English audio again (within 0.7 % of
  the English file's length, measured), so only those three roles are read. In both dubs a file within 1 % of the
  English file's length is taken for the shared English audio and skipped (43 Spanish files are within 0.1 %:
  effects, screams and the ``F`` lines), so no recording is in training and test at once.
- ``beneath-a-steel-sky``: speech is not labelled by file number, so clips are grouped by k-means on voice features
  (:mod:`slimsep.data.voice_labels`); these voices are estimates and stay in training.
- ``tuxpaint-stamps-default``: one set of spoken stamp names per language (``*_desc_<lang>.ogg``); Greek and Bulgarian
  are never read (an independent held-out check uses them), Spanish is left out (heavily clipped).
- ``ktuberling-data``: one folder per language; Catalan and Danish hold a male and a female set, split by pitch.
  Galician (noisy), the Serbian copies and German, Italian, Low Saxon, Russian and Ukrainian are never read.
- ``festvox-ru``: the read sentences behind the msu_ru_nsh Festival voice, one male speaker.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from slimsep.atomic import atomic_path
from slimsep.data import game_formats, voice_labels
from slimsep.data.debian import cache_dir, fetch_package
from slimsep.data.sources.levels import trim_silence
from slimsep.data.sources.speaker import Speaker, file_clip, memory_clip, to_rate

RATE = 8000  # the rate clips are kept at when held in memory
# Drascula roles by file-name prefix; genders from the story where the character is known, else from pitch.
DRASCULA_KNOWN = {"": "m", "BJ": "f", "D": "m", "I": "m", "VB": "m"}
DRASCULA_SKIP = {"S"}  # sound effects
DRASCULA_REDUBBED = {"it": {"B", "BJ", "P"}}  # roles a partial dub re-recorded; the rest repeats the English audio
BASS_VOICES = 10  # k-means clusters for Beneath a Steel Sky
TUXPAINT_SKIP = {"el", "bg", "es"}  # el, bg: held out elsewhere; es: heavily clipped
TUXPAINT_GENDERS = {"be": "f", "da": "m", "fr": "m"}  # Kseniya Buraya, Joe Dalton, Jacques Chion (changelog)
KTUBERLING_SKIP = {"gl", "de", "it", "nds", "ru", "uk", "sr@ijekavian", "sr@ijekavianlatin", "sr@latin"}
KTUBERLING_TWO_SETS = {"ca", "da"}
WORKERS = 2  # the build machine is shared: two processes at most


def _pitch_gender(speaker: Speaker, max_clips: int = 20) -> str:
    """Gender estimate from the median of the median pitches of (up to) ``max_clips`` evenly spread clips."""
    step = max(1, len(speaker.clips) // max_clips)
    pitches = [voice_labels.median_pitch(*speaker.clips[i]()) for i in range(0, len(speaker.clips), step)]
    pitches = [p for p in pitches if np.isfinite(p)]
    return voice_labels.gender_from_pitch(float(np.median(pitches)) if pitches else float("nan"))


def _with_gender(speaker: Speaker, gender: str | None) -> Speaker:
    if gender is None:
        speaker.gender, speaker.gender_estimated = _pitch_gender(speaker), True
    else:
        speaker.gender = gender
    return speaker


def _drascula_role(name: str) -> str:
    return re.sub(r"[0-9]+$", "", Path(name).stem)


def drascula(package: str, lang: str) -> Iterator[Speaker]:
    """One speaker per role of one Drascula dub (links to another dub's audio skipped)."""
    folder = fetch_package(package) / "usr/share/scummvm/drascula" / lang
    english = None if lang == "en" else fetch_package("drascula") / "usr/share/scummvm/drascula/en"
    roles: dict[str, list[Path]] = {}
    for path in sorted(folder.glob("*.ALS")):
        role = _drascula_role(path.name)
        if path.is_symlink() or role in DRASCULA_SKIP or role not in DRASCULA_REDUBBED.get(lang, {role}):
            continue
        if english is not None and _same_length(path, english / path.name):
            continue  # the English recording again
        roles.setdefault(role, []).append(path)
    for role, paths in sorted(roles.items()):
        speaker = Speaker(f"drascula_{lang}_{role or 'hero'}", "u", lang, source="drascula")
        speaker.clips = [_als_clip(p) for p in paths]
        yield _with_gender(speaker, DRASCULA_KNOWN.get(role))


def _same_length(path: Path, other: Path, tolerance: float = 0.01) -> bool:
    """True when ``other`` exists and its size is within ``tolerance`` of ``path``'s."""
    return other.is_file() and abs(path.stat().st_size / max(other.stat().st_size, 1) - 1) <= tolerance


def _als_clip(path: Path):  # noqa: ANN202 (a Clip)
    return lambda: (game_formats.read_drascula(path), game_formats.GAME_RATE)


def _bass_chunk(args: tuple[str, list[game_formats.SkyEntry]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode, resample and trim a chunk of speech entries; (audio at 8 kHz, voice features) per usable clip."""
    dsk, entries = args
    out = []
    for entry in entries:
        audio = trim_silence(to_rate(game_formats.read_sky_speech(Path(dsk), entry), game_formats.GAME_RATE, RATE),
                             RATE)
        if audio.shape[0] >= 0.3 * RATE:
            out.append((audio.astype(np.float32), voice_labels.voice_features(audio, RATE)))
    return out


def _decode_bass(folder: Path, limit: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(8 kHz trimmed clip, features) per speech entry, decoded in two processes.

    The pure-Python RNC decoder needs minutes for the whole game, so the result of a full decode is kept next to the
    package cache (``<cache>/debian/decoded/beneath-a-steel-sky-8k.npz``, int16) and read back on later builds.
    """
    cached = cache_dir() / "decoded" / "beneath-a-steel-sky-8k.npz"
    if limit is None and cached.is_file():
        with np.load(cached) as z:
            audio, ends, feats = z["audio"], z["ends"], z["features"]
        starts = np.concatenate([[0], ends[:-1]])
        return [((audio[a:b] / 32767.0).astype(np.float32), f) for a, b, f in zip(starts, ends, feats)]
    entries = game_formats.sky_speech_entries(folder / "sky.dnr")[:limit]
    chunks = [(str(folder / "sky.dsk"), entries[i:i + 100]) for i in range(0, len(entries), 100)]
    with get_context("fork").Pool(min(WORKERS, os.cpu_count() or 1)) as pool:
        decoded = [item for chunk in pool.map(_bass_chunk, chunks) for item in chunk]
    if limit is None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached, ".part.npz") as tmp:
            np.savez(tmp, audio=np.concatenate([np.round(np.clip(a, -1, 1) * 32767).astype(np.int16)
                                                for a, _ in decoded]),
                     ends=np.cumsum([a.shape[0] for a, _ in decoded]), features=np.stack([f for _, f in decoded]))
        decoded = _decode_bass(folder, None)  # the same int16-rounded audio as later builds read
    return decoded


def bass(seed: int = 0, limit: int | None = None) -> Iterator[Speaker]:
    """Beneath a Steel Sky's speech in ``BASS_VOICES`` clustered voices (estimates)."""
    folder = fetch_package("beneath-a-steel-sky") / "usr/share/scummvm/beneath-a-steel-sky"
    decoded = _decode_bass(folder, limit)
    labels = voice_labels.cluster_voices(np.stack([f for _, f in decoded]), BASS_VOICES, seed)
    for k in range(BASS_VOICES):
        members = [i for i in np.flatnonzero(labels == k)]
        pitch = float(np.median([np.exp(decoded[i][1][0]) for i in members if decoded[i][1][0] > 0] or [np.nan]))
        speaker = Speaker(f"bass_v{k:02d}", voice_labels.gender_from_pitch(pitch), "en", source="bass",
                          certain=False, gender_estimated=True)
        speaker.clips = [memory_clip(decoded[i][0], RATE) for i in members]
        yield speaker


def tuxpaint() -> Iterator[Speaker]:
    """One speaker per language set of spoken stamp descriptions (French: two voices under one label, estimate)."""
    root = fetch_package("tuxpaint-stamps-default") / "usr/share/tuxpaint/stamps"
    sets: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*_desc_*.ogg")):
        lang = path.name.rsplit("_desc_", 1)[1].split(".")[0]  # one file is named *_desc_da.ogg.ogg
        if lang not in TUXPAINT_SKIP:
            sets.setdefault(lang, []).append(path)
    for lang, paths in sorted(sets.items()):
        speaker = Speaker(f"tuxpaint_{lang}", "u", lang, source="tuxpaint", certain=lang != "fr")
        speaker.clips = [file_clip(p) for p in paths]
        yield _with_gender(speaker, TUXPAINT_GENDERS.get(lang))


def ktuberling() -> Iterator[Speaker]:
    """One speaker per kept language folder; Catalan and Danish split into a low- and a high-pitched set."""
    root = fetch_package("ktuberling-data") / "usr/share/ktuberling/sounds"
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in KTUBERLING_SKIP):
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".ogg", ".wav", ".opus", ".flac"))
        if folder.name not in KTUBERLING_TWO_SETS:
            speaker = Speaker(f"ktuberling_{folder.name}", "u", folder.name, source="ktuberling")
            speaker.clips = [file_clip(p) for p in paths]
            yield _with_gender(speaker, None)
            continue
        clips = [file_clip(p) for p in paths]
        pitches = np.array([voice_labels.median_pitch(*c()) for c in clips])
        for gender in ("m", "f"):
            keep = [c for c, p in zip(clips, pitches) if np.isfinite(p) and voice_labels.gender_from_pitch(p) == gender]
            speaker = Speaker(f"ktuberling_{folder.name}_{gender}", gender, folder.name, source="ktuberling",
                              certain=False, gender_estimated=True, clips=keep)
            yield speaker


def festvox_ru() -> Iterator[Speaker]:
    """The msu_ru_nsh voice's recordings: one male speaker of read Russian sentences."""
    root = fetch_package("festvox-ru") / "usr/share/festival/voices/russian"
    speaker = Speaker("festvox_ru_nsh", "m", "ru", source="festvox")
    speaker.clips = [file_clip(p) for p in sorted(root.rglob("wav/*.wav"))]
    yield speaker
