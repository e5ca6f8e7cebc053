"""Where the speech and noise are inside the unpacked Debian packages, and who speaks.

Each speaker is a list of clips with a gender and a language; :func:`speech_clips` returns them from the cache.
The speaker-disjoint split lives here too, so it is one table a reader can check.
"""
from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.audio import resample
from slimsep.data.debian import fetch_package
from slimsep.errors import SlimsepError, first_line
from slimsep.progress import bar

# Held-out voices. Test: the whole Spanish dub of Drascula (unseen cast) plus the two test voices of the first
# corpus. Validation: voices of sources that training also has (other roles of the same dub, other languages of the
# same word lists), both genders, in languages where the other word-list package has no set (the same person may
# have recorded a language for both Tux Paint and KTuberling). Everyone else trains.
TEST_SPEAKERS = {"fillets_nl_v", "asterisk_fr_June"}
TEST_PREFIXES = ("drascula_es_",)
VALID_SPEAKERS = {"fillets_cs_v", "asterisk_ru_IvrvoiceRU", "drascula_en_BJ", "drascula_en_VB",
                  "tuxpaint_be", "ktuberling_nn", "ktuberling_wa"}
FOTAQ_MAX_LINES = 2000  # bounds the build time; FOTAQ voices are low-bitrate, used for training only

Clip = Callable[[], tuple[np.ndarray, int]]  # reads one clip: (mono float32 audio, sample rate)


@dataclass
class Speaker:
    name: str
    gender: str  # "f", "m" or "u" (unknown)
    language: str
    source: str = ""
    certain: bool = True  # False: the voice is an estimate (clustered or split by pitch), not named by the data
    gender_estimated: bool = False  # True: gender from the median pitch, not from the data's documentation
    clips: list[Clip] = field(default_factory=list)

    @property
    def split(self) -> str:
        if self.name in TEST_SPEAKERS or self.name.startswith(TEST_PREFIXES):
            return "test"
        return "valid" if self.name in VALID_SPEAKERS else "train"


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


def _asterisk(package: str) -> Iterator[Speaker]:
    for folder in sorted((fetch_package(package) / "usr/share/asterisk/sounds").iterdir()):
        lang, _, gender, name = folder.name.split("_", 3)
        if package.endswith("-es-wav"):  # the same person as en_US_f_Allison: one speaker, one split
            lang = "en"
        speaker = Speaker(f"asterisk_{lang}_{name}", gender, lang, source="asterisk")
        speaker.clips = [file_clip(p) for p in sorted(folder.rglob("*.wav"))]
        yield speaker


def _fillets(package: str) -> Iterator[Speaker]:
    lang = package.rsplit("-", 1)[1]
    files = sorted((fetch_package(package) / "usr/share/games/fillets-ng/sound").rglob("*.ogg"))
    for code, gender in (("v", "m"), ("m", "f")):  # the two fish: v = big (male), m = small (female)
        speaker = Speaker(f"fillets_{lang}_{code}", gender, lang, source="fillets")
        speaker.clips = [file_clip(p) for p in files if p.stem.split("-")[1:2] == [code]]
        yield speaker


def _fotaq_entries(container: Path) -> list[tuple[str, int, int]]:
    """(name, offset, size) of the ``*.SB`` speech entries of the ``queen.1c`` container (format in docs/corpora.md)."""
    with open(container, "rb") as f:
        head = f.read(15)
        count = struct.unpack(">H", head[13:15])[0]
        head += f.read(21 * count)
    entries, pos = [], 15
    for _ in range(count):
        name = head[pos:pos + 12].rstrip(b"\0").decode("ascii", "replace")
        offset, size = struct.unpack(">II", head[pos + 13:pos + 21])
        pos += 21
        if name.endswith(".SB") and len(name) == 11 and name[:6].isdigit() and name[6] in "JP":
            entries.append((name, offset, size))
    return entries


def _fotaq() -> Iterator[Speaker]:
    container = fetch_package("flight-of-the-amazon-queen") / "usr/share/scummvm/flight-of-the-amazon-queen/queen.1c"
    speakers: dict[str, Speaker] = {}
    entries = _fotaq_entries(container)
    step = -(-len(entries) // FOTAQ_MAX_LINES)  # every step-th line: all dialogues, bounded decoding time
    for name, offset, size in entries[::step]:
        # J is the protagonist throughout; P is the partner of dialogue NN (the first two digits).
        key = "fotaq_J" if name[6] == "J" else f"fotaq_P{name[:2]}"
        speaker = speakers.setdefault(key, Speaker(key, "m" if key == "fotaq_J" else "u", "en",
                                                       source="fotaq", certain=key == "fotaq_J"))

        def read(offset: int = offset, size: int = size) -> tuple[np.ndarray, int]:
            with open(container, "rb") as f:
                f.seek(offset)
                audio, sr = sf.read(io.BytesIO(f.read(size)), dtype="float32", always_2d=True)
            return audio.mean(1), sr
        speaker.clips.append(read)
    yield from speakers.values()


def speakers(seed: int = 0, quiet: bool = True) -> list[Speaker]:
    """Every speaker of the open corpus, fetching packages into the cache as needed (minutes the first time: a bar
    per source on a terminal unless ``quiet``)."""
    from slimsep.data import game_sources

    sources: list[tuple[str, Callable[[], Iterable[Speaker]]]] = [
        *((package, partial(_asterisk, package)) for package in (
            "asterisk-core-sounds-en-wav", "asterisk-core-sounds-es-wav", "asterisk-core-sounds-fr-wav",
            "asterisk-core-sounds-it-wav", "asterisk-core-sounds-ru-wav", "asterisk-prompt-it-menardi-wav")),
        *((package, partial(_fillets, package)) for package in ("fillets-ng-data-cs", "fillets-ng-data-nl")),
        ("flight-of-the-amazon-queen", _fotaq),
        *((package, partial(game_sources.drascula, package, lang))
          for package, lang in (("drascula", "en"), ("drascula-italian", "it"), ("drascula-spanish", "es"))),
        ("beneath-a-steel-sky", partial(game_sources.bass, seed)), ("tuxpaint-stamps-default", game_sources.tuxpaint),
        ("ktuberling-data", game_sources.ktuberling), ("festvox-ru", game_sources.festvox_ru)]
    found: list[Speaker] = []
    with bar(total=len(sources), desc="speech sources", quiet=quiet, unit="package") as progress:
        for package, load in sources:
            progress.set_postfix_str(package)
            found.extend(load())
            progress.update()
    merged: dict[str, Speaker] = {}
    for s in found:  # en and es Allison become one speaker
        merged.setdefault(s.name, Speaker(s.name, s.gender, s.language, s.source, s.certain,
                                          s.gender_estimated)).clips.extend(s.clips)
    return [s for s in merged.values() if s.clips]


def noise_files() -> list[tuple[str, Clip]]:
    """(name, reader) of every noise clip: urban ambience and music on hold."""
    out = []
    for package, sub in (("lincity-ng-data", "usr/share/games/lincity-ng/sounds"),
                         ("asterisk-moh-opsound-wav", "usr/share/asterisk/moh")):
        for path in sorted((fetch_package(package) / sub).rglob("*")):
            if path.suffix.lower() in (".wav", ".ogg"):
                out.append((f"{package.split('-')[0]}_{path.stem}", file_clip(path)))
    return out


def to_rate(audio: np.ndarray, sr: int, target: int) -> np.ndarray:
    return audio if sr == target else resample(audio[None], sr, target)[0]
