"""Debian packages off Debian: a .deb saved by hand into the cache unpacks without dpkg-deb, and without apt-get
the error says where to get the file."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from slimsep.data import debian
from slimsep.errors import SlimsepError


def _member(name: str, data: bytes) -> bytes:
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
    return header + data + (b"\n" if len(data) % 2 else b"")


def fake_deb(path: Path, files: dict[str, bytes]) -> Path:
    """An ar archive with debian-binary, control.tar.gz and data.tar.xz, as dpkg-deb writes it."""
    def tar(mode: str, content: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as t:
            for name, data in content.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        return buffer.getvalue()
    path.write_bytes(b"!<arch>\n" + _member("debian-binary", b"2.0\n")
                     + _member("control.tar.gz", tar("w:gz", {"./control": b"Package: x\n"}))
                     + _member("data.tar.xz", tar("w:xz", files)))
    return path


def test_a_deb_in_the_cache_unpacks_without_apt_get_or_dpkg_deb(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_deb(tmp_path / "codec2-examples_1.0_all.deb", {"./usr/share/codec2/wav/a.wav": b"RIFF1"})
    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)
    folder = debian.fetch_package("codec2-examples", cache=tmp_path)
    assert (folder / "usr/share/codec2/wav/a.wav").read_bytes() == b"RIFF1"
    assert debian.is_fetched("codec2-examples", tmp_path)


def test_without_apt_get_the_error_says_where_to_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)
    with pytest.raises(SlimsepError, match=r"packages\.debian\.org/stable/all/codec2-examples/download into "
                                           + str(tmp_path)):
        debian.fetch_package("codec2-examples", cache=tmp_path)


def test_a_file_that_is_no_deb_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.deb").write_bytes(b"not an archive")
    with pytest.raises(SlimsepError, match="not a Debian package"):
        debian.unpack_deb(tmp_path / "x.deb", tmp_path / "out")
