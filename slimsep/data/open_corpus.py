"""Build the open corpus: real voices from Debian packages (v2) and a voices folder (v3), speaker-disjoint splits,
simulated conditions. The voices come from :mod:`slimsep.data.sources`; this module only cuts, levels and writes.

Layout under the output folder (``*_read``: held-out voices of the voices folder, v3 only)::

    sources/{train,valid,test,valid_read,test_read}/<speaker>/<speaker>_<n>.wav
                                                             3-6 s utterances at -26 dBFS active-speech RMS
    noise/{train,valid,test}/<name>.wav                      urban ambience and music at 8 kHz
    manifest.csv                                             path, speaker, gender, language, split, samples,
                                                             seconds, source, voice (certain|estimated),
                                                             gender_from (data|pitch)
    {valid,test,valid_read,test_read}/ov{100,50,25}_na{0,50,100}/{mix_clean,mix_both,s1,s2,noise}/<id>.wav + metadata.csv
    summary.json

Training mixes on the fly from ``sources/train`` (:class:`DynamicMixDataset`); the condition folders are fixed.
"""
from __future__ import annotations

import csv
import logging
import os
import time
from collections.abc import Callable
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from slimsep.atomic import write_json_atomic, write_text_atomic
from slimsep.audio import write_audio
from slimsep.data import sources
from slimsep.data.sources import debian_speech, voices as voices_source
from slimsep.data.sources.levels import LEVEL_DBFS, normalise_level, trim_silence
from slimsep.data.sources.speaker import Speaker, to_rate
from slimsep.data.conditions import CONDITIONS, write_condition
from slimsep.errors import SlimsepError

log = logging.getLogger(__name__)
SAMPLE_RATE = 8000
GAP = 0.12  # seconds of silence between joined clips
WORKERS = 2  # the build machine is shared: two processes at most
SPLIT_SEEDS = {"valid": 0, "test": 100, "valid_read": 200, "test_read": 300}  # condition seed offsets


def split_long(clip: np.ndarray, sr: int, longest: float, rng: np.random.Generator,
               shortest: float = 3.0) -> list[np.ndarray]:
    """A clip longer than ``longest`` seconds cut into consecutive pieces of ``shortest``..``longest`` seconds."""
    if clip.shape[0] <= longest * sr:
        return [clip]
    pieces, start = [], 0
    while clip.shape[0] - start > longest * sr:
        n = int(rng.uniform(shortest, longest) * sr)
        pieces.append(clip[start:start + n])
        start += n
    return pieces + [clip[start:]]


def join_utterances(clips: list[np.ndarray], rng: np.random.Generator, sr: int,
                    seconds: tuple[float, float] = (3.0, 6.0)) -> list[np.ndarray]:
    """Concatenate trimmed clips (in order) into utterances of a random length in ``seconds``.

    Short clips (words, 0.3-1.6 s) are joined with ``GAP`` s pauses; a clip longer than ``seconds[1]`` is cut into
    pieces first; a rest shorter than ``seconds[0]`` at the end is dropped.
    """
    out, current, target = [], [], rng.uniform(*seconds) * sr
    gap = np.zeros(int(GAP * sr), np.float32)
    for clip in (piece for c in clips for piece in split_long(c, sr, seconds[1], rng, seconds[0])):
        length = sum(c.shape[0] for c in current)  # joined so far, with one trailing pause
        if length + clip.shape[0] > seconds[1] * sr:  # adding this clip would overshoot the longest length
            if length - gap.shape[0] < seconds[0] * sr:
                out.append(clip)  # a long piece (about 3 s or more) stands alone
                continue
            out.append(np.concatenate(current[:-1]))
            current, target = [], rng.uniform(*seconds) * sr
        current.extend([clip, gap])
        if sum(c.shape[0] for c in current) - gap.shape[0] >= target:
            out.append(np.concatenate(current[:-1]))
            current, target = [], rng.uniform(*seconds) * sr
    if current and sum(c.shape[0] for c in current) - gap.shape[0] >= seconds[0] * sr:
        out.append(np.concatenate(current[:-1]))
    return out


def _speaker_utterances(speaker: Speaker, rng: np.random.Generator) -> list[np.ndarray]:
    clips = []
    for read in speaker.clips:
        audio, sr = read()
        if audio.shape[0] < sr // 4:
            continue
        clip = trim_silence(to_rate(audio, sr, SAMPLE_RATE), SAMPLE_RATE)
        if clip.shape[0] >= 0.3 * SAMPLE_RATE:
            clips.append(normalise_level(clip, SAMPLE_RATE))
    return [normalise_level(u, SAMPLE_RATE) for u in join_utterances(clips, rng, SAMPLE_RATE)]


_SPEAKERS: list[Speaker] = []  # read by the forked writer processes (inherited, not pickled)


def _write_speaker(job: tuple[Path, int, int]) -> list[dict]:
    out, seed, i = job
    speaker = _SPEAKERS[i]
    rows = []
    for k, utt in enumerate(_speaker_utterances(speaker, np.random.default_rng([seed, i]))):
        rel = Path("sources", speaker.split, speaker.name, f"{speaker.name}_{k:04d}.wav")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        write_audio(out / rel, utt, SAMPLE_RATE)
        rows.append({"path": rel.as_posix(), "speaker": speaker.name, "gender": speaker.gender,
                     "language": speaker.language, "split": speaker.split,
                     "samples": str(utt.shape[0]), "seconds": f"{utt.shape[0] / SAMPLE_RATE:.3f}",
                     "source": speaker.source, "voice": "certain" if speaker.certain else "estimated",
                     "gender_from": "pitch" if speaker.gender_estimated else "data"})
    return rows


def write_sources(out: Path, speakers: list[Speaker], seed: int, progress: Callable[[str], None]) -> list[dict]:
    """Write every speaker's utterances into its split (two processes); returns the manifest rows."""
    _SPEAKERS[:] = speakers
    rows = []
    with get_context("fork").Pool(min(WORKERS, os.cpu_count() or 1)) as pool:
        jobs = [(out, seed, i) for i in range(len(_SPEAKERS))]
        for speaker, written in zip(_SPEAKERS, pool.imap(_write_speaker, jobs)):
            rows.extend(written)
            progress(f"  {speaker.name:32s} {speaker.split:10s} {len(written):4d} utterances")
    return rows


def write_noise(out: Path) -> list[dict]:
    """Noise clips at 8 kHz mono, split 70/15/15 by position in the sorted list (no clip in two splits)."""
    rows = []
    for i, (name, read) in enumerate(debian_speech.noise_files()):
        audio, sr = read()
        audio = to_rate(audio, sr, SAMPLE_RATE)
        if audio.shape[0] < SAMPLE_RATE or np.abs(audio).max() < 1e-4:
            continue
        split = ("train",) * 14 + ("valid",) * 3 + ("test",) * 3
        rel = Path("noise", split[i % 20], f"{name}.wav")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        write_audio(out / rel, audio.astype(np.float32), SAMPLE_RATE)
        rows.append({"path": rel.as_posix(), "speaker": "", "gender": "", "language": "", "split": split[i % 20],
                     "samples": str(audio.shape[0]), "seconds": f"{audio.shape[0] / SAMPLE_RATE:.3f}",
                     "source": name.split("_")[0], "voice": "", "gender_from": ""})
    return rows


def _write_manifest(out: Path, rows: list[dict]) -> None:
    lines = [",".join(rows[0])] + [",".join(r.values()) for r in rows]
    write_text_atomic(out / "manifest.csv", "\n".join(lines) + "\n")


def read_manifest(root: Path) -> list[dict]:
    with open(root / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def summarise(rows: list[dict]) -> dict:
    """Hours, utterances and speakers (with genders) per split."""
    summary: dict = {}
    for r in rows:
        kind = "noise" if r["path"].startswith("noise/") else "speech"
        s = summary.setdefault(f"{kind}_{r['split']}", {"hours": 0.0, "files": 0, "speakers": {}})
        s["hours"] += float(r["seconds"]) / 3600
        s["files"] += 1
        if r["speaker"]:
            s["speakers"][r["speaker"]] = r["gender"]
    return summary


def summarise_sources(rows: list[dict]) -> dict:
    """Per split and source: hours, files, voices, voices per gender, certain and estimated voices.

    ``{split: {source: {"hours", "files", "voices", "f", "m", "u", "certain", "estimated", "gender_from_pitch"}}}``;
    speech only. Rows without the newer columns (first corpus) count as certain, gender from the data.
    """
    table: dict = {}
    voices: dict = {}
    for r in rows:
        if not r["speaker"]:
            continue
        key = (r["split"], r.get("source") or r["speaker"].split("_")[0])
        t = table.setdefault(r["split"], {}).setdefault(key[1], {"hours": 0.0, "files": 0})
        t["hours"] += float(r["seconds"]) / 3600
        t["files"] += 1
        voices.setdefault(key, {})[r["speaker"]] = r
    for (split, source), who in voices.items():
        t = table[split][source]
        t["voices"] = len(who)
        for g in ("f", "m", "u"):
            t[g] = sum(r["gender"] == g for r in who.values())
        t["estimated"] = sum(r.get("voice") == "estimated" for r in who.values())
        t["certain"] = t["voices"] - t["estimated"]
        t["gender_from_pitch"] = sum(r.get("gender_from") == "pitch" for r in who.values())
    return table


def check_disjoint(rows: list[dict]) -> None:
    """Raise SlimsepError naming the first speaker whose utterances lie in two splits (speakers are the unit)."""
    seen: dict[str, str] = {}
    for r in rows:
        if r["speaker"] and seen.setdefault(r["speaker"], r["split"]) != r["split"]:
            raise SlimsepError(f"speaker {r['speaker']} is in two splits ({seen[r['speaker']]}, {r['split']}); "
                               "every split must be speaker-disjoint")


def write_conditions(out: Path, splits: dict[str, int], seed: int, progress: Callable[[str], None]) -> None:
    """The nine overlap x noise conditions of each held-out split, ``count`` mixtures each (seeds per split fixed,
    so adding the read-speech splits leaves the Debian ones bit-exact)."""
    for split, count in splits.items():
        for k, (overlap, activity) in enumerate(CONDITIONS):
            name = write_condition(out, split, overlap, activity, count, seed=seed * 1000 + k + SPLIT_SEEDS[split])
            progress(f"  {split}/{name}: {count} mixtures")


def build_open_corpus(out: Path, n_test: int = 40, n_valid: int = 10, seed: int = 0,
                      progress: Callable[[str], None] = print, quiet: bool = True, voices: Path | None = None,
                      voices_held_out: tuple[int, int] = (20, 40)) -> dict:
    """Fetch, cut, split and simulate; returns the summary also written to ``summary.json``. ``quiet`` False: a
    progress bar while the packages download and decode (minutes the first time, with no line printed).

    ``voices``: a voices folder (:mod:`slimsep.data.sources.voices`) added to the Debian voices (corpus v3); its
    ``voices_held_out`` = (validation, test) speakers go to ``valid_read`` / ``test_read``, whose conditions get
    ``n_valid`` / ``n_test`` mixtures each like the Debian ones. Raises SlimsepError for a bad voices folder
    before anything is fetched or written."""
    start = time.time()
    folder_voices = [] if voices is None else voices_source.speakers(voices, *voices_held_out, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    progress("speech: fetching packages and cutting utterances")
    rows = write_sources(out, sources.debian_speakers(seed, quiet) + folder_voices, seed, progress)
    check_disjoint(rows)
    progress("noise: urban ambience and music on hold")
    rows += write_noise(out)
    _write_manifest(out, rows)
    held_out = {"valid": n_valid, "test": n_test}
    if folder_voices:
        held_out |= {"valid_read": n_valid, "test_read": n_test}
    write_conditions(out, held_out, seed, progress)
    summary = {"version": 3 if voices is not None else 2,
               "splits": summarise(rows), "sources": summarise_sources(rows), "level_dbfs": LEVEL_DBFS,
               "conditions": [f"ov{int(o * 100)}_na{int(a * 100)}" for o, a in CONDITIONS],
               "n_test_per_condition": n_test, "n_valid_per_condition": n_valid, "seed": seed,
               "build_seconds": round(time.time() - start, 1)}
    if voices is not None:
        summary["voices"] = {"folder": str(Path(voices).resolve()), "held_out": list(voices_held_out),
                             "licences": voices_source.licences(voices),
                             "split_speakers": {split: sorted(s.name for s in folder_voices if s.split == split)
                                                for split in ("valid_read", "test_read")}}
    write_json_atomic(out / "summary.json", summary, indent=2)
    return summary
