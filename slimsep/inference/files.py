"""Checks on the files a user hands to ``slimsep separate``, before any work: one clear error per problem."""
from __future__ import annotations

import math
import os
import struct
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.audio import audio_info, check_file, check_waveform
from slimsep.errors import AudioError, OutputExistsError, SlimsepError
from slimsep.inference.conditioning import HIGHPASS_HZ

MAX_CHANNELS = 8
# Decode in blocks this small: after a decode failure in the middle of an Ogg Vorbis file, libsndfile 1.2 keeps
# returning full blocks of 16384 frames and more (misplaced data, up to the announced length), so a longer block
# size never sees the short read; blocks of 4096 do (tests/inference/test_broken_inputs.py).
DECODE_BLOCK = 4096


def validate_input(path: Path, max_channels: int = MAX_CHANNELS) -> sf._SoundFileInfo:
    """Existence, type, readability, length, channels, NaN/Inf and digital silence, in bounded memory."""
    info = audio_info(check_file(path))
    if info.frames == 0:
        raise AudioError(path, "contains no samples (zero length)")
    if info.channels > max_channels:
        raise AudioError(path, f"has {info.channels} channels, at most {max_channels} supported")
    claimed = wav_header_frames(path)
    if claimed is not None and claimed > info.frames:
        raise AudioError(path, f"truncated: the header announces {claimed} samples, the file holds {info.frames}")
    any_signal, read = False, 0
    try:
        with sf.SoundFile(str(path)) as f:
            while len(block := f.read(DECODE_BLOCK, dtype="float32", always_2d=True)):
                check_waveform(block.T, path)
                any_signal = any_signal or bool(np.any(block))
                read += len(block)
                if len(block) < DECODE_BLOCK:
                    break
    except sf.LibsndfileError as exc:
        raise AudioError(path, f"unreadable audio data ({exc})") from None
    if read < info.frames:
        raise AudioError(path, f"truncated: the header announces {info.frames} samples, only {read} could be read")
    if not any_signal:
        raise AudioError(path, "is all zeros (digital silence): nothing to separate")
    return info


def wav_header_frames(path: Path) -> int | None:
    """Frames announced by a RIFF/WAVE file's ``data`` chunk header; None for other formats, or for a size left
    open by a streaming writer (0 or 0xFFFFFFFF).

    Why parse it here: libsndfile trims ``frames`` to the bytes present, so a cut-off WAV reads "cleanly".
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        block_align = 0
        while (chunk := f.read(8)) and len(chunk) == 8:
            name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if name == b"fmt ":
                fmt = f.read(size + size % 2)
                block_align = struct.unpack("<H", fmt[12:14])[0] if len(fmt) >= 14 else 0
                continue
            if name == b"data":
                return None if size in (0, 0xFFFFFFFF) or not block_align else size // block_align
            f.seek(size + size % 2, os.SEEK_CUR)
    return None


def check_length(path: str | Path, frames: int, sample_rate: float, model_rate: int, min_samples: int) -> None:
    """The input must give the model at least ``min_samples`` samples at its rate (one encoder frame); fewer
    resample to nothing (or next to nothing) and cannot be separated. Below twice ``HIGHPASS_HZ`` (60 Hz, e.g. a
    1 Hz rate) a file holds nothing the high-pass keeps: refused, not zeros with exit 0."""
    if sample_rate < 2 * HIGHPASS_HZ:
        raise AudioError(path, f"sample rate {sample_rate:g} Hz: it holds nothing above {HIGHPASS_HZ:g} Hz, where "
                               f"speech is (DC and sub-audio are removed); nothing to separate")
    at_model_rate = math.floor(frames * model_rate / sample_rate)
    if at_model_rate < min_samples:
        need = math.ceil(min_samples * sample_rate / model_rate)
        raise AudioError(path, f"too short: {frames} samples at {sample_rate:g} Hz, at least {need} needed "
                               f"({1000 * min_samples / model_rate:g} ms)")


def colliding_inputs(inputs: list[Path]) -> tuple[list[Path], list[str]]:
    """(inputs without duplicates and without name collisions, one message per collision).

    Inputs with the same file name from different folders would write the same ``<name>_spk1.wav``: the later one
    would be refused (or, with ``--overwrite``, silently replace the first). Both are refused, named together, before
    any work; the same file given twice is separated once. A symbolic link loop has no file behind it: one message,
    and the other inputs go on (before, ``resolve`` raised and the whole call stopped).
    """
    unique = list(dict.fromkeys(inputs, None))
    loops = [p for p in unique if resolved(p) is None]
    seen: dict[Path, Path] = {}
    unique = [p for p in unique if p not in loops and seen.setdefault(resolved(p), p) is p]
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for p in unique:
        by_stem[p.stem].append(p)
    clashes = {stem: group for stem, group in by_stem.items() if len(group) > 1}
    messages = [f"{' and '.join(str(p) for p in group)} would write the same output names ({stem}_spk1.wav, ...); "
                f"separate them in calls with different -o folders" for stem, group in clashes.items()]
    messages += [f"{p}: a symbolic link loop (the link leads back to itself): no file to read" for p in loops]
    return [p for p in unique if p.stem not in clashes], messages


def resolved(path: Path) -> Path | None:
    """``path`` with its symbolic links followed, or None for a link loop (``Path.resolve`` raises RuntimeError on
    Python < 3.13, OSError after)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def output_paths(path: Path, outdir: Path, n_src: int) -> dict[str, Path]:
    """``<name>_spk1.wav`` ... and ``<name>_slimsep.json`` in ``outdir``."""
    outs = {f"spk{i + 1}": outdir / f"{path.stem}_spk{i + 1}.wav" for i in range(n_src)}
    outs["report"] = outdir / f"{path.stem}_slimsep.json"
    return outs


def check_output_folder(folder: Path) -> Path:
    """Without creating anything: ``folder`` is not a file, and it or its nearest existing parent is writable. For
    commands that create their output folder only after long work (evaluate, train) but must refuse a bad one
    before it."""
    if folder.exists() and not folder.is_dir():
        raise SlimsepError(f"{folder}: output folder is a file, not a folder")
    existing = next(p for p in [folder.absolute(), *folder.absolute().parents] if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise SlimsepError(f"{folder}: cannot create or write the output folder ({existing} is not a writable folder)")
    return folder


def writable_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be written into it (one-line errors otherwise)."""
    if folder.exists() and not folder.is_dir():
        raise SlimsepError(f"{folder}: output folder is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SlimsepError(f"{folder}: cannot create output folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SlimsepError(f"{folder}: output folder is not writable")
    return folder


def check_outputs(path: Path, outs: dict[str, Path], overwrite: bool, protected: set[Path] | None = None) -> None:
    """Refuse to overwrite an input (``path`` and the ``protected`` other inputs of the same call), an existing
    output (without ``overwrite``), or to write into a bad folder."""
    writable_folder(next(iter(outs.values())).parent)
    inputs = {p.resolve() for p in (protected or set()) | {path} if p.exists()}
    for out in outs.values():
        if out.exists() and out.resolve() in inputs:
            raise AudioError(path, f"output {out} would overwrite an input file; choose another -o folder")
        if out.exists() and not overwrite:
            raise OutputExistsError(out)
