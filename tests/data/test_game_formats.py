"""The game speech decoders: Beneath a Steel Sky (sky.dnr index, RNC ProPack entries) and Drascula raw 8-bit."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import propack
import pytest

from slimsep.data import game_formats as gf
from slimsep.data.debian import unpacked_dir
from slimsep.errors import SlimsepError


def pcm_u8(n: int = 4000, freq: float = 150.0) -> bytes:
    t = np.arange(n) / gf.GAME_RATE
    return bytes(np.round(128 + 90 * np.sin(2 * np.pi * freq * t)).astype(np.uint8))


def dnr_entry(number: int, offset: int, size: int, uncompressed: bool = False, units16: bool = False) -> bytes:
    off = (offset >> 4) | 0x800000 if units16 else offset
    flags = size | (0x800000 if uncompressed else 0)
    return struct.pack("<H", number) + off.to_bytes(3, "little") + flags.to_bytes(3, "little")


def fake_sky(tmp_path: Path, entries: list[tuple[int, bytes, bool]]) -> tuple[Path, Path]:
    """A sky.dnr/sky.dsk pair holding ``(number, stored bytes, uncompressed)`` entries, each 16-byte aligned."""
    dsk, index = bytearray(), []
    for number, stored, uncompressed in entries:
        dsk += bytes(-len(dsk) % 16)
        index.append(dnr_entry(number, len(dsk), len(stored), uncompressed, units16=True))
        dsk += stored
    (tmp_path / "sky.dsk").write_bytes(bytes(dsk))
    (tmp_path / "sky.dnr").write_bytes(struct.pack("<I", len(index)) + b"".join(index))
    return tmp_path / "sky.dnr", tmp_path / "sky.dsk"


def test_index_offsets_in_16_byte_units_and_flags(tmp_path: Path) -> None:
    data = struct.pack("<I", 2) + dnr_entry(50001, 0x1230, 77, units16=True) + dnr_entry(7, 99, 5, True)
    (tmp_path / "sky.dnr").write_bytes(data)
    first, second = gf.read_sky_index(tmp_path / "sky.dnr")
    assert (first.number, first.offset, first.size, first.uncompressed) == (50001, 0x1230, 77, False)
    assert (second.offset, second.size, second.uncompressed) == (99, 5, True)
    assert gf.sky_speech_entries(tmp_path / "sky.dnr") == [first]


def test_truncated_index_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "sky.dnr").write_bytes(struct.pack("<I", 3) + dnr_entry(50001, 0, 10))
    with pytest.raises(SlimsepError, match="sky.dnr: index is truncated"):
        gf.read_sky_index(tmp_path / "sky.dnr")


def test_propack_entry_decodes_to_the_8_bit_samples(tmp_path: Path) -> None:
    pcm = pcm_u8()
    packed = bytes(gf.SKY_HEADER) + propack.pack(pcm, method=1)
    dnr, dsk = fake_sky(tmp_path, [(50000, packed, False), (50001, bytes(gf.SKY_HEADER) + pcm, True)])
    packed_entry, raw_entry = gf.sky_speech_entries(dnr)
    expected = (np.frombuffer(pcm, np.uint8).astype(np.float32) - 128) / 128
    np.testing.assert_array_equal(gf.read_sky_speech(dsk, packed_entry), expected)
    np.testing.assert_array_equal(gf.read_sky_speech(dsk, raw_entry), expected)


def test_corrupt_propack_entry_names_the_entry(tmp_path: Path) -> None:
    packed = bytearray(bytes(gf.SKY_HEADER) + propack.pack(pcm_u8(), method=1))
    packed[gf.SKY_HEADER + 40:gf.SKY_HEADER + 60] = bytes(20)  # damage the compressed stream (CRC catches it)
    dnr, dsk = fake_sky(tmp_path, [(50042, bytes(packed), False)])
    with pytest.raises(SlimsepError, match=r"sky.dsk entry 50042: broken RNC ProPack data"):
        gf.read_sky_speech(dsk, gf.sky_speech_entries(dnr)[0])


def test_entry_past_the_end_of_sky_dsk_names_the_entry(tmp_path: Path) -> None:
    packed = bytes(gf.SKY_HEADER) + propack.pack(pcm_u8(), method=1)
    dnr, dsk = fake_sky(tmp_path, [(50007, packed, False)])
    dsk.write_bytes(dsk.read_bytes()[:len(packed) // 2])
    with pytest.raises(SlimsepError, match="sky.dsk entry 50007: file ends .* bytes before the entry does"):
        gf.read_sky_speech(dsk, gf.sky_speech_entries(dnr)[0])


def test_truncated_compressed_data_inside_an_entry(tmp_path: Path) -> None:
    packed = bytes(gf.SKY_HEADER) + propack.pack(pcm_u8(), method=1)
    with pytest.raises(SlimsepError, match="entry 9: broken RNC ProPack data"):
        gf.decode_sky_speech(packed[:len(packed) - 100], "entry 9")
    with pytest.raises(SlimsepError, match="entry 9: entry is truncated"):
        gf.decode_sky_speech(packed[:gf.SKY_HEADER + 5], "entry 9")


def test_drascula_skips_header_and_trailer(tmp_path: Path) -> None:
    pcm = pcm_u8(1000)
    path = tmp_path / "BJ3.ALS"
    path.write_bytes(b"\x01" * gf.DRASCULA_HEAD + pcm + b"\x02" * gf.DRASCULA_TAIL)
    audio = gf.read_drascula(path)
    assert audio.shape == (1000,) and audio.dtype == np.float32
    np.testing.assert_array_equal(audio, (np.frombuffer(pcm, np.uint8).astype(np.float32) - 128) / 128)
    path.write_bytes(bytes(90))
    with pytest.raises(SlimsepError, match=r"BJ3.ALS: too short for a Drascula speech file"):
        gf.read_drascula(path)


def test_real_beneath_a_steel_sky_speech_when_cached() -> None:
    folder = unpacked_dir("beneath-a-steel-sky") / "usr/share/scummvm/beneath-a-steel-sky"
    if not (folder / "sky.dnr").is_file():
        pytest.skip(f"beneath-a-steel-sky is not in the cache ({folder}); `slimsep data fetch beneath-a-steel-sky`")
    entries = gf.sky_speech_entries(folder / "sky.dnr")
    assert len(entries) > 3000
    audio = gf.read_sky_speech(folder / "sky.dsk", entries[0])
    assert 0.3 * gf.GAME_RATE < audio.shape[0] < 30 * gf.GAME_RATE
    assert 0.005 < float(np.sqrt(np.mean(audio ** 2))) < 0.7  # speech, neither silence nor noise at full scale


def test_real_drascula_speech_when_cached() -> None:
    folder = unpacked_dir("drascula") / "usr/share/scummvm/drascula/en"
    if not folder.is_dir():
        pytest.skip(f"drascula is not in the cache ({folder}); `slimsep data fetch drascula`")
    audio = gf.read_drascula(sorted(folder.glob("BJ*.ALS"))[0])
    assert audio.shape[0] > 0.3 * gf.GAME_RATE and float(np.abs(audio).max()) > 0.05
