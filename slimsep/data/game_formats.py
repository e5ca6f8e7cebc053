"""Decoders for the game speech formats of the open corpus (layouts in docs/corpora.md).

- Beneath a Steel Sky: ``sky.dnr`` indexes ``sky.dsk``; speech files 50000-59399 are a 22-byte header followed by
  RNC ProPack method-1 data (decompressed with the ``propack`` package from PyPI) that unpacks to unsigned 8-bit
  mono PCM at 11025 Hz.
- Drascula: ``*.ALS`` files are unsigned 8-bit mono PCM at 11025 Hz after a 32-byte header and before a 64-byte
  trailer.

Every problem with one entry is a :class:`SlimsepError` naming the file and the entry, never a traceback.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from slimsep.errors import SlimsepError

GAME_RATE = 11025  # Hz, both games
SKY_HEADER = 22  # bytes of the data-file header in front of every sky.dsk entry
SKY_SPEECH = range(50000, 59400)  # file numbers of speech; 59400 and up are animation data
DRASCULA_HEAD, DRASCULA_TAIL = 32, 64


@dataclass(frozen=True)
class SkyEntry:
    """One ``sky.dnr`` entry: file number, byte offset and stored size in ``sky.dsk``, and its flags."""
    number: int
    offset: int
    size: int
    uncompressed: bool


def u8_to_float(data: bytes) -> np.ndarray:
    """Unsigned 8-bit PCM (128 = silence) -> float32 in [-1, 1)."""
    return (np.frombuffer(data, np.uint8).astype(np.float32) - 128.0) / 128.0


def read_sky_index(dnr: Path) -> list[SkyEntry]:
    """Every entry of ``sky.dnr``: u32 LE count, then 8-byte entries (u16 number, 3-byte offset, 3-byte flags).

    Offset bit 23 set: the offset counts 16-byte units. Flags: size in the low 22 bits, bit 23 = stored uncompressed.
    Raises SlimsepError when the file is shorter than its count says.
    """
    data = Path(dnr).read_bytes()
    if len(data) < 4:
        raise SlimsepError(f"{dnr}: too short for a sky.dnr index ({len(data)} bytes)")
    count = struct.unpack("<I", data[:4])[0]
    if len(data) < 4 + 8 * count:
        raise SlimsepError(f"{dnr}: index is truncated ({count} entries announced, {(len(data) - 4) // 8} present)")
    entries = []
    for i in range(count):
        raw = data[4 + 8 * i:12 + 8 * i]
        offset = int.from_bytes(raw[2:5], "little")
        flags = int.from_bytes(raw[5:8], "little")
        if offset & 0x800000:
            offset = (offset & 0x7FFFFF) << 4
        entries.append(SkyEntry(struct.unpack("<H", raw[:2])[0], offset, flags & 0x3FFFFF, bool(flags & 0x800000)))
    return entries


def sky_speech_entries(dnr: Path) -> list[SkyEntry]:
    """The speech entries (file numbers 50000-59399) of ``sky.dnr``, in index order."""
    return [e for e in read_sky_index(dnr) if e.number in SKY_SPEECH]


def decode_sky_speech(raw: bytes, where: str) -> np.ndarray:
    """One stored speech entry (22-byte header + RNC method-1 data, or raw PCM) -> float32 audio at 11025 Hz.

    Raises SlimsepError naming ``where`` for a truncated or corrupt entry.
    """
    import propack  # PyPI "propack": a pure-Python RNC ProPack decoder (both methods, CRC-checked)

    body = raw[SKY_HEADER:]
    if len(body) < 18:
        raise SlimsepError(f"{where}: entry is truncated ({len(raw)} bytes)")
    if body[:3] != b"RNC":
        return u8_to_float(body)
    if body[3] != 1:
        raise SlimsepError(f"{where}: RNC method {body[3]} (speech uses method 1)")
    try:
        pcm = propack.unpack(bytes(body))
    except (ValueError, IndexError, EOFError, struct.error) as exc:
        raise SlimsepError(f"{where}: broken RNC ProPack data ({exc or type(exc).__name__})") from None
    return u8_to_float(bytes(pcm))


def read_sky_speech(dsk: Path, entry: SkyEntry) -> np.ndarray:
    """The audio (float32, 11025 Hz) of one speech entry of ``sky.dsk``."""
    where = f"{dsk} entry {entry.number}"
    with open(dsk, "rb") as f:
        f.seek(entry.offset)
        raw = f.read(entry.size)
    if len(raw) < entry.size:
        raise SlimsepError(f"{where}: file ends {entry.size - len(raw)} bytes before the entry does")
    if entry.uncompressed:
        return u8_to_float(raw[SKY_HEADER:])
    return decode_sky_speech(raw, where)


def read_drascula(path: Path) -> np.ndarray:
    """A Drascula ``*.ALS`` speech file -> float32 audio at 11025 Hz; SlimsepError when it has no audio."""
    data = Path(path).read_bytes()
    if len(data) <= DRASCULA_HEAD + DRASCULA_TAIL:
        raise SlimsepError(f"{path}: too short for a Drascula speech file ({len(data)} bytes)")
    return u8_to_float(data[DRASCULA_HEAD:-DRASCULA_TAIL])
