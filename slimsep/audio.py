"""Audio I/O with validation: soundfile for reading/writing, soxr for resampling.

Every reader check raises :class:`AudioError` naming the file, and every writer writes a temporary
file in the destination folder and renames it, so an interrupted run never leaves a half-written file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from slimsep.atomic import atomic_path
from slimsep.errors import AudioError, first_line


def read_audio(
    path: str | Path,
    expected_sr: int | None = None,
    max_channels: int | None = None,
    allow_silent: bool = True,
) -> tuple[np.ndarray, int]:
    """Read a file as float32 ``[channels, samples]`` and check that it is usable.

    ``expected_sr`` makes a different sample rate an error (training data must never be resampled
    silently); ``max_channels`` bounds the channel count.
    """
    path = check_file(path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(path, f"unreadable or unsupported audio format ({first_line(exc)})") from None
    data = np.ascontiguousarray(data.T)
    check_waveform(data, path, allow_silent=allow_silent)
    if expected_sr is not None and sr != expected_sr:
        raise AudioError(path, f"sample rate is {sr} Hz, expected {expected_sr} Hz")
    if max_channels is not None and data.shape[0] > max_channels:
        raise AudioError(path, f"has {data.shape[0]} channels, at most {max_channels} supported")
    return data, int(sr)


def check_file(path: str | Path) -> Path:
    """The checks any reader needs before decoding: exists, is a regular file (a pipe or a device has no length to
    read up front, and ``/dev/zero`` never ends), is not empty."""
    path = Path(path)
    if not path.exists():
        raise AudioError(path, "file does not exist")
    if path.is_dir():
        raise AudioError(path, "is a directory, not an audio file")
    if not path.is_file():
        raise AudioError(path, "not a regular file (a pipe/device); save the audio to a file first")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    return path


def audio_info(path: str | Path) -> sf._SoundFileInfo:
    """Header information (rate, frames, channels) without decoding; errors name the file."""
    try:
        return sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(path, f"unreadable or unsupported audio format ({first_line(exc)})") from None


def check_waveform(data: np.ndarray, path: str | Path = "<array>", allow_silent: bool = True) -> None:
    """Reject empty, non-finite and (optionally) all-zero signals with a message naming the source."""
    if data.size == 0 or data.shape[-1] == 0:
        raise AudioError(path, "contains no samples (zero length)")
    if not np.all(np.isfinite(data)):
        raise AudioError(path, "contains NaN or Inf samples")
    if not allow_silent and not np.any(data):
        raise AudioError(path, "is all zeros (digital silence)")


def resample(data: np.ndarray, sr_in: float, sr_out: float) -> np.ndarray:
    """Resample ``[..., samples]`` float32 audio with soxr (high quality); identity when rates match."""
    if sr_in == sr_out:
        return data
    flat = data.reshape(-1, data.shape[-1])
    out = np.stack([soxr.resample(ch, sr_in, sr_out, quality="HQ") for ch in flat])
    return out.reshape(*data.shape[:-1], out.shape[-1]).astype(np.float32)


def fit_length(data: np.ndarray, n: int) -> np.ndarray:
    """``[..., samples]`` audio cropped or zero-padded at the end to ``n`` samples."""
    pad = [(0, 0)] * (data.ndim - 1) + [(0, max(0, n - data.shape[-1]))]
    return np.pad(data, pad)[..., :n]


def write_audio(path: str | Path, data: np.ndarray, sr: int, subtype: str = "FLOAT") -> Path:
    """Write ``[channels, samples]`` or ``[samples]`` audio atomically (temp file + rename).

    The default subtype is 32-bit float so no clipping or rescaling is ever applied implicitly.
    """
    path = Path(path)
    data = np.asarray(data, dtype=np.float32)
    frames = data.T if data.ndim == 2 else data
    with atomic_path(path, ".tmp.wav") as tmp:
        sf.write(tmp, frames, sr, subtype=subtype, format="WAV")
    return path


def match_mixture_level(estimates: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """``estimates`` [S, T] times the one positive gain that makes their energies add up to the mixture's.

    Independent talkers' energies add up to the mixture's, so each estimate comes out near its talker's level in the
    mix. A least-squares fit of their sum to the mixture would shrink a poor separation by its low correlation with
    the mixture (the shipped model's talkers came out ~10 dB too quiet), and matching the energy of their sum would
    inflate estimates that partly cancel (~4 dB too loud).
    """
    power = float(sum(np.dot(e, e.astype(np.float64)) for e in estimates))
    gain = np.sqrt(float(np.dot(mixture, mixture.astype(np.float64))) / power) if power > 0 else 0.0
    return (gain * estimates).astype(np.float32)
