"""Build the open corpus: real voices from Debian packages, speaker-disjoint splits, simulated conditions.

Layout under the output folder::

    sources/{train,valid,test}/<speaker>/<speaker>_<n>.wav   3-6 s utterances, trimmed clips joined by short pauses
    noise/{train,valid,test}/<name>.wav                      urban ambience and music at 8 kHz
    manifest.csv                                             path, speaker, gender, language, split, seconds
    {valid,test}/ov{100,50,25}_na{0,50,100}/{mix_clean,mix_both,s1,s2,noise}/<id>.wav + metadata.csv
    summary.json

Training mixes on the fly from ``sources/train`` (:class:`DynamicMixDataset`); the condition folders are fixed.
"""
from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from slimsep.audio import write_audio, write_json_atomic, write_text_atomic
from slimsep.data import speech_sources
from slimsep.data.conditions import CONDITIONS, write_condition

log = logging.getLogger(__name__)
SAMPLE_RATE = 8000
GAP = 0.12  # seconds of silence between joined clips


def trim_silence(audio: np.ndarray, sr: int, threshold_db: float = -40.0, margin: float = 0.05) -> np.ndarray:
    """Cut leading and trailing stretches quieter than ``threshold_db`` below the clip's loudest 10 ms frame."""
    frame = max(1, sr // 100)
    n = audio.shape[0] // frame
    if n == 0:
        return audio[:0]
    energy = np.square(audio[:n * frame].reshape(n, frame)).mean(1)
    active = np.flatnonzero(energy > energy.max() * 10 ** (threshold_db / 10))
    if energy.max() <= 1e-10 or active.size == 0:
        return audio[:0]
    pad = int(margin * sr)
    return audio[max(0, active[0] * frame - pad):min(audio.shape[0], (active[-1] + 1) * frame + pad)]


def join_utterances(clips: list[np.ndarray], rng: np.random.Generator, sr: int,
                    seconds: tuple[float, float] = (3.0, 6.0)) -> list[np.ndarray]:
    """Concatenate trimmed clips (in order) into utterances of a random length in ``seconds``."""
    out, current, target = [], [], rng.uniform(*seconds) * sr
    gap = np.zeros(int(GAP * sr), np.float32)
    for clip in clips:
        if clip.shape[0] > seconds[1] * sr:
            clip = clip[:int(seconds[1] * sr)]
        current.extend([clip, gap])
        if sum(c.shape[0] for c in current) >= target:
            out.append(np.concatenate(current[:-1]))
            current, target = [], rng.uniform(*seconds) * sr
    if current and sum(c.shape[0] for c in current) >= seconds[0] * sr:
        out.append(np.concatenate(current[:-1]))
    return out


def _speaker_utterances(speaker: speech_sources.Speaker, rng: np.random.Generator) -> list[np.ndarray]:
    clips = []
    for read in speaker.clips:
        audio, sr = read()
        if audio.shape[0] < sr // 4:
            continue
        clip = trim_silence(speech_sources.to_rate(audio, sr, SAMPLE_RATE), SAMPLE_RATE)
        if clip.shape[0] >= 0.3 * SAMPLE_RATE:
            peak = np.abs(clip).max()
            clips.append((clip / peak * 0.5).astype(np.float32))
    return join_utterances(clips, rng, SAMPLE_RATE)


def write_sources(out: Path, seed: int, progress: Callable[[str], None]) -> list[dict]:
    """Write every speaker's utterances into its split; returns the manifest rows."""
    rows = []
    for i, speaker in enumerate(speech_sources.speakers()):
        rng = np.random.default_rng([seed, i])
        utterances = _speaker_utterances(speaker, rng)
        for k, utt in enumerate(utterances):
            rel = Path("sources", speaker.split, speaker.name, f"{speaker.name}_{k:04d}.wav")
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            write_audio(out / rel, utt, SAMPLE_RATE)
            rows.append({"path": rel.as_posix(), "speaker": speaker.name, "gender": speaker.gender,
                         "language": speaker.language, "split": speaker.split,
                         "samples": str(utt.shape[0]), "seconds": f"{utt.shape[0] / SAMPLE_RATE:.3f}"})
        progress(f"  {speaker.name:28s} {speaker.split:5s} {len(utterances):4d} utterances")
    return rows


def write_noise(out: Path) -> list[dict]:
    """Noise clips at 8 kHz mono, split 70/15/15 by position in the sorted list (no clip in two splits)."""
    rows = []
    for i, (name, read) in enumerate(speech_sources.noise_files()):
        audio, sr = read()
        audio = speech_sources.to_rate(audio, sr, SAMPLE_RATE)
        if audio.shape[0] < SAMPLE_RATE or np.abs(audio).max() < 1e-4:
            continue
        split = ("train",) * 14 + ("valid",) * 3 + ("test",) * 3
        rel = Path("noise", split[i % 20], f"{name}.wav")
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        write_audio(out / rel, audio.astype(np.float32), SAMPLE_RATE)
        rows.append({"path": rel.as_posix(), "speaker": "", "gender": "", "language": "", "split": split[i % 20],
                     "samples": str(audio.shape[0]), "seconds": f"{audio.shape[0] / SAMPLE_RATE:.3f}"})
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


def build_open_corpus(out: Path, n_test: int = 40, n_valid: int = 10, seed: int = 0,
                      progress: Callable[[str], None] = print) -> dict:
    """Fetch, cut, split and simulate; returns the summary also written to ``summary.json``."""
    start = time.time()
    out.mkdir(parents=True, exist_ok=True)
    progress("speech: fetching packages and cutting utterances")
    rows = write_sources(out, seed, progress)
    progress("noise: urban ambience and music on hold")
    rows += write_noise(out)
    _write_manifest(out, rows)
    for split, count in (("valid", n_valid), ("test", n_test)):
        for k, (overlap, activity) in enumerate(CONDITIONS):
            name = write_condition(out, split, overlap, activity, count, seed=seed * 1000 + k + (split == "test") * 100)
            progress(f"  {split}/{name}: {count} mixtures")
    summary = {"splits": summarise(rows), "conditions": [f"ov{int(o * 100)}_na{int(a * 100)}" for o, a in CONDITIONS],
               "n_test_per_condition": n_test, "n_valid_per_condition": n_valid, "seed": seed,
               "build_seconds": round(time.time() - start, 1)}
    write_json_atomic(out / "summary.json", summary, indent=2)
    return summary
