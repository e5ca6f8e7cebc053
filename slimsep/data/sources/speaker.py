"""A speaker of the open corpus: a name, a gender, a language, lazily read clips, and the split it belongs to.

The Debian voices' speaker-disjoint split is a table here, so a reader can check it in one place; the voices folder
(:mod:`slimsep.data.sources.voices`) draws its own split and assigns it (``assigned_split``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.audio import resample
from slimsep.errors import SlimsepError, first_line

# Held-out Debian voices. Test: the whole Spanish dub of Drascula (unseen cast) plus the two test voices of the first
# corpus. Validation: voices of sources that training also has (other roles of the same dub, other languages of the
# same word lists), both genders, in languages where the other word-list package has no set (the same person may
# have recorded a language for both Tux Paint and KTuberling). Everyone else trains.
TEST_SPEAKERS = {"fillets_nl_v", "asterisk_fr_June"}
TEST_PREFIXES = ("drascula_es_",)
VALID_SPEAKERS = {"fillets_cs_v", "asterisk_ru_IvrvoiceRU", "drascula_en_BJ", "drascula_en_VB",
                  "tuxpaint_be", "ktuberling_nn", "ktuberling_wa"}

Clip = Callable[[], tuple[np.ndarray, int]]  # reads one clip: (mono float32 audio, sample rate)


def debian_split(name: str) -> str:
    """"test", "valid" or "train" for a Debian speaker name, from the tables above."""
    if name in TEST_SPEAKERS or name.startswith(TEST_PREFIXES):
        return "test"
    return "valid" if name in VALID_SPEAKERS else "train"


@dataclass
class Speaker:
    name: str
    gender: str  # "f", "m" or "u" (unknown)
    language: str
    source: str = ""
    certain: bool = True  # False: the voice is an estimate (clustered or split by pitch), not named by the data
    gender_estimated: bool = False  # True: gender from the median pitch, not from the data's documentation
    clips: list[Clip] = field(default_factory=list)
    assigned_split: str = ""  # set by a source that draws its own split; else the Debian table decides

    @property
    def split(self) -> str:
        return self.assigned_split or debian_split(self.name)


def memory_clip(audio: np.ndarray, sr: int) -> Clip:
    """A clip already decoded (kept in memory)."""
    return lambda: (audio, sr)


def file_clip(path: Path) -> Clip:
    """A clip read from an audio file; a broken or truncated file is a SlimsepError naming it."""
    def read() -> tuple[np.ndarray, int]:
        try:
            audio, sr = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, ValueError, EOFError) as exc:
            raise SlimsepError(f"{path}: unreadable audio ({first_line(exc)})") from None
        return audio.mean(1), sr
    return read


def to_rate(audio: np.ndarray, sr: int, target: int) -> np.ndarray:
    """``audio`` [samples] resampled from ``sr`` to ``target`` Hz (soxr); unchanged when the rates agree."""
    return audio if sr == target else resample(audio[None], sr, target)[0]
