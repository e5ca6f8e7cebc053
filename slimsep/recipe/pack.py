"""``gpu_recipe pack``: the open corpus as a small folder a GPU machine without network can train from.

Per speaker, the utterances it needs are concatenated into one Ogg/Vorbis file (one ~4 kB Vorbis header per
speaker, not per clip); ``pack.json`` lists each utterance's (path, start, length) inside it and the validation
recipes (``<root>/valid/<condition>/metadata.csv``), so validation mixtures are re-rendered on the machine from the
decoded sources, clean and noisy. Training speakers are packed whole, validation speakers only where a recipe uses
them. The noise clips go the same way into one file per split (``noise``: every training clip, for ``sep_noisy``
training; the validation clips the recipes use). The wheels the GPU machine lacks are copied into ``wheels/``.
"""
from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.audio import read_audio
from slimsep.data.conditions import parse_condition, read_metadata
from slimsep.errors import SlimsepError

MAX_MIB = 50.0  # the pack plus the code; the machine receives at most 64 MiB
SAMPLE_RATE = 8000
BLOCK = 80_000  # samples per Vorbis write: libsndfile crashed on one ten-minute write
SIZE_MARGIN = 0.05  # share of the room left free when suggesting --max-train-hours (bytes per hour vary by voice)


def manifest_rows(root: Path) -> list[dict[str, str]]:
    if not (root / "manifest.csv").is_file():
        raise SlimsepError(f"{root}: no manifest.csv (build it with `slimsep data open-corpus -o {root}`)")
    with open(root / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def validation_recipes(root: Path) -> list[dict]:
    """Every recipe of ``root/valid/ov*_na*/metadata.csv`` as a dict, with its condition folder's name."""
    base = root / "valid"
    folders = sorted(p for p in base.iterdir() if p.is_dir() and parse_condition(p.name)) if base.is_dir() else []
    if not folders:
        raise SlimsepError(f"{base}: no validation condition folders (ov<overlap>_na<noise activity>)")
    out = []
    for folder in folders:
        for recipe in read_metadata(folder):
            out.append(dict(recipe.to_row(), condition=folder.name))
    return out


def write_vorbis(path: Path, audio: np.ndarray, quality: float) -> None:
    """Mono Vorbis at ``compression_level`` ``quality`` (0 best .. 1 smallest; 0.8 is about 18 kbit/s at 8 kHz)."""
    with sf.SoundFile(str(path), "w", SAMPLE_RATE, 1, format="OGG", subtype="VORBIS",
                      compression_level=quality) as f:
        for i in range(0, audio.shape[0], BLOCK):
            f.write(audio[i:i + BLOCK])


def speaker_cap(seconds: list[float], total: float) -> float:
    """The per-speaker cap c with sum(min(s, c)) = ``total`` (water filling): voices with little speech keep all
    of it, the big ones are trimmed, so a size limit costs hours of the few big voices and no voices."""
    if sum(seconds) <= total:
        return max(seconds, default=0.0)
    low, high = 0.0, max(seconds)
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if sum(min(s, mid) for s in seconds) < total else (low, mid)
    return low


def cap_training(rows: list[dict[str, str]], max_hours: float | None, seed: int = 0) -> list[dict[str, str]]:
    """Training rows limited to ``max_hours`` of speech by :func:`speaker_cap` (utterances drawn at random, seeded)."""
    if max_hours is None:
        return rows
    by_speaker: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_speaker.setdefault(r["speaker"], []).append(r)
    cap = speaker_cap([sum(float(r["seconds"]) for r in v) for v in by_speaker.values()], max_hours * 3600)
    rng = np.random.default_rng(seed)
    kept = []
    for name in sorted(by_speaker):
        total = 0.0
        for i in rng.permutation(len(by_speaker[name])):
            r = by_speaker[name][i]
            if total + float(r["seconds"]) <= cap + 1e-3 or total == 0.0:
                kept.append(r)
                total += float(r["seconds"])
    return sorted(kept, key=lambda r: r["path"])


def pack(root: Path, out: Path, wheels: Path | None, quality: float = 0.8, code_mib: float = 0.0,
         max_mib: float = MAX_MIB, max_train_hours: float | None = None) -> dict:
    """Write the pack into ``out`` (replaced); returns its summary. Raises SlimsepError when it would not fit."""
    rows = manifest_rows(root)
    recipes = validation_recipes(root)
    used = {r[k] for r in recipes for k in ("source_1", "source_2")}
    train = cap_training([r for r in rows if r["speaker"] and r["split"] == "train"], max_train_hours)
    keep = train + [r for r in rows if r["speaker"] and r["split"] == "valid" and r["path"] in used]
    if out.exists():
        if not (out / "pack.json").is_file():
            raise SlimsepError(f"{out}: exists and is not a pack; choose another folder")
        shutil.rmtree(out)
    (out / "audio").mkdir(parents=True)
    speakers: dict[str, dict] = {}
    for r in keep:
        speakers.setdefault(r["speaker"], {"split": r["split"], "rows": []})["rows"].append(r["path"])
    seconds = {"train": 0.0, "valid": 0.0}
    for name, entry in sorted(speakers.items()):
        seconds[entry["split"]] += _pack_clips(root, out, f"audio/{entry['split']}__{name}.ogg", entry, quality)
    noise = {"train": {"rows": [r["path"] for r in rows if not r["speaker"] and r["split"] == "train"]},
             "valid": {"rows": sorted({r["noise"] for r in recipes if r["noise"]})}}
    noise = {split: entry for split, entry in noise.items() if entry["rows"]}
    noise_hours = {split: round(_pack_clips(root, out, f"audio/noise__{split}.ogg", entry, quality) / 3600, 3)
                   for split, entry in noise.items()}
    _copy_wheels(wheels, out / "wheels")
    info = {"corpus": str(root), "sample_rate": SAMPLE_RATE, "vorbis_compression_level": quality,
            "max_train_hours": max_train_hours,
            "train_hours": round(seconds["train"] / 3600, 3), "valid_hours": round(seconds["valid"] / 3600, 3),
            "noise_hours": noise_hours, "speakers": speakers, "noise": noise, "valid_recipes": recipes}
    (out / "pack.json").write_text(json.dumps(info))
    size = folder_mib(out)
    summary = {"pack_mib": round(size, 2), "code_mib": round(code_mib, 2), "train_hours": info["train_hours"],
               "noise_hours": noise_hours, "valid_hours": info["valid_hours"],
               "train_speakers": sum(s["split"] == "train" for s in speakers.values()),
               "valid_mixtures": len(recipes), "wheels": sorted(p.name for p in (out / "wheels").glob("*.whl"))}
    if size + code_mib > max_mib:
        train_files = list((out / "audio").glob("train__*.ogg"))
        write_vorbis(out / "empty.ogg", np.zeros(0, np.float32), quality)  # the headers every speaker's file has
        headers_mib = len(train_files) * (out / "empty.ogg").stat().st_size / 2**20
        speech_mib = max(0.0, sum(p.stat().st_size for p in train_files) / 2**20 - headers_mib)
        shutil.rmtree(out)
        raise SlimsepError(f"{out}: pack {size:.1f} MiB + code {code_mib:.1f} MiB exceeds {max_mib:.0f} MiB; "
                           + _fitting_advice(info["train_hours"], speech_mib, size - speech_mib, code_mib, max_mib))
    return summary


def fitting_hours(train_hours: float, train_mib: float, fixed_mib: float, room_mib: float,
                  margin: float = SIZE_MARGIN) -> float:
    """The ``--max-train-hours`` to suggest when a pack is too big; 0 when no training speech would fit.

    Only the training speech (``train_mib``) scales with the training hours: the noise, the validation speakers,
    the wheels, ``pack.json`` and the Vorbis headers of the training speakers' files (``fixed_mib``; no voice is
    dropped) do not, so they are taken off the room first (scaling the whole pack by the hours, as before,
    suggested values that were refused again). ``margin`` leaves room for voices that code to more bytes per hour
    than the average, and the value is floored (never rounded up) to two significant digits, so the printed number
    is at most the computed one."""
    if train_hours <= 0 or train_mib <= 0 or room_mib <= fixed_mib:
        return 0.0
    hours = train_hours * (room_mib - fixed_mib) / train_mib * (1 - margin)
    step = 10.0 ** (math.floor(math.log10(hours)) - 1)
    return math.floor(hours / step + 1e-9) * step


def _fitting_advice(train_hours: float, train_mib: float, fixed_mib: float, code_mib: float,
                    max_mib: float) -> str:
    hours = fitting_hours(train_hours, train_mib, fixed_mib, max_mib - code_mib)
    if hours <= 0:
        return (f"without any training speech the pack is {fixed_mib:.1f} MiB (noise, validation speakers, wheels), "
                f"which leaves no room: carry less code or pack with --quality nearer 1")
    return f"pack again with --max-train-hours {hours:.{max(0, -math.floor(math.log10(hours)) + 1)}f} " \
           f"(or --quality nearer 1)"


def _pack_clips(root: Path, out: Path, file: str, entry: dict, quality: float) -> float:
    """Concatenate the clips ``entry["rows"]`` into one Vorbis ``file``; ``entry`` gets ``file`` and ``utterances``
    ([path, start, length] each) in place of ``rows``. Returns the seconds packed."""
    clips = [_read(root / p) for p in entry["rows"]]
    starts = np.concatenate([[0], np.cumsum([c.shape[0] for c in clips])[:-1]]).tolist()
    entry["file"] = file
    entry["utterances"] = [[p, int(s), int(c.shape[0])] for p, s, c in zip(entry.pop("rows"), starts, clips)]
    write_vorbis(out / file, np.concatenate(clips), quality)
    return sum(c.shape[0] for c in clips) / SAMPLE_RATE


def _read(path: Path) -> np.ndarray:
    audio, rate = read_audio(path, max_channels=1)
    if rate != SAMPLE_RATE:
        raise SlimsepError(f"{path}: sample rate is {rate} Hz, the open corpus is {SAMPLE_RATE} Hz")
    return audio[0].astype(np.float32)


def _copy_wheels(source: Path | None, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if source is None:
        return
    wheels = sorted(source.glob("*.whl")) if source.is_dir() else []
    if not wheels:
        raise SlimsepError(f"{source}: no .whl files (download them as docs/training.md says)")
    for wheel in wheels:
        shutil.copy2(wheel, dest / wheel.name)


def folder_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20
