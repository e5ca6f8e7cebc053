"""A folder of many read-speech voices (``../shared/voices`` on the project's machines; built by
``scripts/build_voices.py`` elsewhere) as speakers of the open corpus.

Layout: ``<folder>/MANIFEST.tsv`` with a row per file and the columns ``source, speaker, gender (F/M or empty),
language, licence, duration_s, path (relative to the folder), origin``; optionally a ``split`` column (train, valid,
test) that pins a speaker's split. Without it, :func:`draw_splits` holds out validation and test speakers, balanced
by source corpus and gender, with a fixed seed.

Held-out voices of this folder go to their own splits, ``valid_read`` and ``test_read``, so the Debian voices'
``valid`` and ``test`` conditions stay exactly as they were (corpus v2) and every report can show both: read
speech, and game and telephone voices.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slimsep.data.sources.speaker import Speaker, file_clip
from slimsep.errors import SlimsepError

MANIFEST = "MANIFEST.tsv"
COLUMNS = ("source", "speaker", "gender", "language", "licence", "duration_s", "path", "origin")
SPLIT_NAMES = {"train": "train", "valid": "valid_read", "test": "test_read"}  # manifest split -> corpus split
GENDERS = {"F": "f", "M": "m", "": "u"}
# What each source corpus's licence asks a user of models trained on it to say (the folder's README.md).
ATTRIBUTIONS = {
    "speechocean762": "speechocean762 (Apache-2.0 per its dataset card; the authors: free for commercial and "
                      "non-commercial use): J. Zhang, Z. Zhang, Y. Wang, Z. Yan, Q. Song, Y. Huang, K. Li, D. Povey, "
                      "Y. Wang, \"speechocean762: An Open-Source Non-native English Speech Corpus For Pronunciation "
                      "Assessment\", Interspeech 2021; files changed (8 kHz, trimmed).",
    "librispeech": "LibriSpeech (CC BY 4.0): V. Panayotov, G. Chen, D. Povey, S. Khudanpur, \"LibriSpeech: an ASR "
                   "corpus based on public domain audio books\", ICASSP 2015, https://www.openslr.org/12; files "
                   "changed (8 kHz, trimmed).",
    "common_voice": "Mozilla Common Voice (CC0 1.0; credited as a courtesy).",
}
HELD_OUT_MIN_SECONDS = 8.0  # two utterances of the corpus's 3-6 s at least


@dataclass(frozen=True)
class VoiceFile:
    """One row of ``MANIFEST.tsv``."""
    source: str
    speaker: str
    gender: str  # "f", "m" or "u"
    language: str
    licence: str
    seconds: float
    path: Path  # absolute
    origin: str
    split: str  # "" (drawn) or train / valid / test

    @property
    def voice(self) -> str:
        """The corpus-wide speaker name: source and the source's own id (ids of two corpora never collide)."""
        return f"{self.source}_{self.speaker}"


def read_manifest(folder: Path) -> list[VoiceFile]:
    """Every row of ``folder/MANIFEST.tsv``, checked; raises SlimsepError naming the file, line and problem for a
    missing folder or manifest, a missing column, an empty speaker, a gender other than F/M/empty, a duration that
    is not a positive number, a listed file that is not there, a speaker pinned to two splits, or no rows."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise SlimsepError(f"{folder}: no such voices folder")
    if not path.is_file():
        raise SlimsepError(f"{path}: missing; a voices folder lists its files there (docs/data.md, 'Voices')")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SlimsepError(f"{path}: malformed manifest, missing column(s) {', '.join(missing)}")
        rows = [_row(folder, path, line, r) for line, r in enumerate(reader, start=2)]
    if not rows:
        raise SlimsepError(f"{path}: the manifest lists no files")
    _check_pinned_splits(path, rows)
    return rows


def _row(folder: Path, manifest: Path, line: int, r: dict) -> VoiceFile:
    where = f"{manifest}, line {line}"
    if not (r.get("speaker") or "").strip() or not (r.get("source") or "").strip():
        raise SlimsepError(f"{where}: empty source or speaker")
    if (r.get("gender") or "") not in GENDERS:
        raise SlimsepError(f"{where}: gender {r['gender']!r} is not F, M or empty")
    try:
        seconds = float(r["duration_s"])
    except (TypeError, ValueError):
        seconds = float("nan")
    if not seconds > 0:
        raise SlimsepError(f"{where}: duration_s {r['duration_s']!r} is not a positive number of seconds")
    split = (r.get("split") or "").strip()
    if split and split not in SPLIT_NAMES:
        raise SlimsepError(f"{where}: split {split!r} is not train, valid or test")
    audio = folder / r["path"]
    if not audio.is_file():
        raise SlimsepError(f"{audio}: listed in {where} but not there")
    return VoiceFile(r["source"].strip(), r["speaker"].strip(), GENDERS[r["gender"] or ""], r["language"],
                     r["licence"], seconds, audio, r["origin"], split)


def _check_pinned_splits(manifest: Path, rows: list[VoiceFile]) -> None:
    pinned: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        if r.split:
            pinned[r.voice].add(r.split)
    for voice, splits in sorted(pinned.items()):
        if len(splits) > 1:
            raise SlimsepError(f"{manifest}: speaker {voice} is in two splits ({', '.join(sorted(splits))}); "
                               "speakers are the unit of every split")


def _largest_remainder(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """``total`` shared among the keys of ``sizes`` in proportion to them (Hamilton's method), never above a size."""
    whole = sum(sizes.values())
    if whole == 0:
        return {k: 0 for k in sizes}
    quota = {k: total * n / whole for k, n in sizes.items()}
    share = {k: min(sizes[k], int(q)) for k, q in quota.items()}
    for k in sorted(sizes, key=lambda k: (share[k] - quota[k], k)):  # largest remainder first
        if sum(share.values()) >= min(total, whole):
            break
        if share[k] < sizes[k]:
            share[k] += 1
    return share


def draw_splits(rows: list[VoiceFile], n_valid: int, n_test: int, seed: int = 0) -> dict[str, str]:
    """Speaker -> "train" / "valid" / "test": ``n_test`` then ``n_valid`` speakers held out, shared among source
    corpora in proportion to their speakers and, within a corpus, among genders the same way (stratified sampling,
    largest remainders); pinned speakers (a ``split`` column) keep their split and count toward the totals. Only
    speakers with ``HELD_OUT_MIN_SECONDS`` of speech are held out (the corpus cuts 3-6 s utterances, so a speaker
    with less could end up with none); the others train.

    Raises SlimsepError when the folder has too few free speakers for the held-out sets plus two to train on.
    """
    strata: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    split = {r.voice: r.split for r in rows if r.split}
    genders = {r.voice: (r.source, r.gender) for r in rows}
    seconds: dict[str, float] = defaultdict(float)
    for r in rows:
        seconds[r.voice] += r.seconds
    for voice, (source, gender) in sorted(genders.items()):
        if voice not in split and seconds[voice] >= HELD_OUT_MIN_SECONDS:
            strata[source][gender].append(voice)
    free = sum(len(v) for g in strata.values() for v in g.values())  # eligible speakers without a pinned split
    wanted = {s: max(0, n - sum(v == s for v in split.values())) for s, n in (("test", n_test), ("valid", n_valid))}
    if free < wanted["test"] + wanted["valid"] + 2:
        raise SlimsepError(f"the voices folder has {free} speakers with {HELD_OUT_MIN_SECONDS:g} s of speech and no "
                           f"pinned split: too few for "
                           f"{n_test} test and {n_valid} validation speakers and two to train on")
    rng = np.random.default_rng(seed)
    for name in ("test", "valid"):
        per_source = _largest_remainder(wanted[name], {s: sum(map(len, g.values())) for s, g in strata.items()})
        for source in sorted(strata):
            per_gender = _largest_remainder(per_source[source], {g: len(v) for g, v in strata[source].items()})
            for gender, voices in sorted(strata[source].items()):
                for k in sorted(rng.choice(len(voices), size=per_gender[gender], replace=False), reverse=True):
                    split[voices.pop(k)] = name
    return {voice: split.get(voice, "train") for voice in genders}


def speakers(folder: Path, n_valid: int = 20, n_test: int = 40, seed: int = 0) -> list[Speaker]:
    """Every speaker of the voices folder with its clips and its corpus split (``train``, ``valid_read`` or
    ``test_read``), in name order. Raises SlimsepError as :func:`read_manifest` and :func:`draw_splits` do."""
    rows = read_manifest(Path(folder))
    split = draw_splits(rows, n_valid, n_test, seed)
    found: dict[str, Speaker] = {}
    for r in rows:
        speaker = found.setdefault(r.voice, Speaker(r.voice, r.gender, r.language, source=r.source,
                                                     assigned_split=SPLIT_NAMES[split[r.voice]]))
        speaker.clips.append(file_clip(r.path))
    return [found[k] for k in sorted(found)]


def licences(folder: Path) -> dict[str, list[str]]:
    """Source corpus -> the licences its rows name (for the corpus summary and the model card)."""
    out: dict[str, set[str]] = defaultdict(set)
    for r in read_manifest(Path(folder)):
        out[r.source].add(r.licence)
    return {k: sorted(v) for k, v in sorted(out.items())}
