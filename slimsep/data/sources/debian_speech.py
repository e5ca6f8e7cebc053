"""Speakers of the first wave of Debian speech packages: Asterisk prompts, Fish Fillets, Flight of the Amazon Queen;
and the noise clips (urban ambience, music on hold).

Each function yields :class:`~slimsep.data.sources.speaker.Speaker` objects whose clips are read lazily from the
package cache (:mod:`slimsep.data.debian`).
"""
from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from slimsep.data.debian import fetch_package
from slimsep.data.sources.speaker import Clip, Speaker, file_clip

FOTAQ_MAX_LINES = 2000  # bounds the build time; FOTAQ voices are low-bitrate, used for training only


def asterisk(package: str) -> Iterator[Speaker]:
    for folder in sorted((fetch_package(package) / "usr/share/asterisk/sounds").iterdir()):
        lang, _, gender, name = folder.name.split("_", 3)
        if package.endswith("-es-wav"):  # the same person as en_US_f_Allison: one speaker, one split
            lang = "en"
        speaker = Speaker(f"asterisk_{lang}_{name}", gender, lang, source="asterisk")
        speaker.clips = [file_clip(p) for p in sorted(folder.rglob("*.wav"))]
        yield speaker


def fillets(package: str) -> Iterator[Speaker]:
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


def fotaq() -> Iterator[Speaker]:
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


def noise_files() -> list[tuple[str, Clip]]:
    """(name, reader) of every noise clip: urban ambience and music on hold."""
    out = []
    for package, sub in (("lincity-ng-data", "usr/share/games/lincity-ng/sounds"),
                         ("asterisk-moh-opsound-wav", "usr/share/asterisk/moh")):
        for path in sorted((fetch_package(package) / sub).rglob("*")):
            if path.suffix.lower() in (".wav", ".ogg"):
                out.append((f"{package.split('-')[0]}_{path.stem}", file_clip(path)))
    return out
