"""Checks on the files a user hands to ``slimsep separate``, before any work: one clear error per problem."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.audio import audio_info, check_file, check_waveform
from slimsep.errors import AudioError, SlimsepError

MAX_CHANNELS = 8
BLOCK = 1 << 16


def validate_input(path: Path, max_channels: int = MAX_CHANNELS) -> sf._SoundFileInfo:
    """Existence, type, readability, length, channels, NaN/Inf and digital silence, in bounded memory."""
    info = audio_info(check_file(path))
    if info.frames == 0:
        raise AudioError(path, "contains no samples (zero length)")
    if info.channels > max_channels:
        raise AudioError(path, f"has {info.channels} channels, at most {max_channels} supported")
    any_signal = False
    try:
        for block in sf.blocks(str(path), blocksize=BLOCK, dtype="float32", always_2d=True):
            check_waveform(block.T, path)
            any_signal = any_signal or bool(np.any(block))
    except sf.LibsndfileError as exc:
        raise AudioError(path, f"unreadable audio data ({exc})") from None
    if not any_signal:
        raise AudioError(path, "is all zeros (digital silence): nothing to separate")
    return info


def output_paths(path: Path, outdir: Path, n_src: int) -> dict[str, Path]:
    """``<name>_spk1.wav`` ... and ``<name>_slimsep.json`` in ``outdir``."""
    outs = {f"spk{i + 1}": outdir / f"{path.stem}_spk{i + 1}.wav" for i in range(n_src)}
    outs["report"] = outdir / f"{path.stem}_slimsep.json"
    return outs


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
            raise SlimsepError(f"{out}: output exists; pass --overwrite to replace it")
