"""Decoding one packed speaker file, in a worker process started fresh (spawn): this module imports no torch, so
a worker neither pays for that import nor inherits a parent's CUDA state through fork."""
from __future__ import annotations

import numpy as np
import soundfile as sf


def decode_speaker(args: tuple[str, list]) -> list[np.ndarray]:
    """(Ogg path, [[name, start, length], ...]) -> the utterances, float32 mono."""
    path, utterances = args
    audio, _ = sf.read(path, dtype="float32", always_2d=True)
    audio = audio[:, 0]
    need = max(s + n for _, s, n in utterances)
    if audio.shape[0] < need:  # Vorbis returned fewer samples than were written: pad the tail
        audio = np.pad(audio, (0, need - audio.shape[0]))
    return [audio[s:s + n].copy() for _, s, n in utterances]
