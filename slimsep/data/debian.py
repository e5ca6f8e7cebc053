"""Fetch Debian data packages that carry real speech and noise, and unpack them without installing.

``apt-get download`` needs no root and none of the package's dependencies; ``dpkg-deb -x`` (or :func:`unpack_deb`)
unpacks the files into a cache folder. Both are cached, so a second call costs nothing and works offline.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from slimsep.errors import SlimsepError

SPEECH_PACKAGES = [
    "asterisk-core-sounds-en-wav", "asterisk-core-sounds-fr-wav", "asterisk-core-sounds-it-wav",
    "asterisk-core-sounds-ru-wav", "asterisk-prompt-it-menardi-wav", "fillets-ng-data-cs", "fillets-ng-data-nl",
    "flight-of-the-amazon-queen",
]
NOISE_PACKAGES = ["lincity-ng-data", "asterisk-moh-opsound-wav"]


def cache_dir() -> Path:
    """``$SLIMSEP_CACHE/debian``, or ``~/.cache/slimsep/debian``."""
    root = os.environ.get("SLIMSEP_CACHE")
    return (Path(root) if root else Path.home() / ".cache" / "slimsep") / "debian"


def unpacked_dir(package: str, cache: Path | None = None) -> Path:
    return (cache or cache_dir()) / "x" / package


def is_fetched(package: str, cache: Path | None = None) -> bool:
    """Whether ``package`` is unpacked in the cache already (then fetching it costs nothing and needs no network)."""
    return (unpacked_dir(package, cache) / ".complete").exists()


def fetch_package(package: str, cache: Path | None = None) -> Path:
    """Download (if needed) and unpack ``package``; returns the folder holding its ``usr/`` tree.

    Downloading needs ``apt-get`` (Debian, Ubuntu). Elsewhere a ``.deb`` saved into the cache folder by hand is
    used as is, and unpacked without ``dpkg-deb`` when that is missing too (:func:`unpack_deb`)."""
    cache = cache or cache_dir()
    target = unpacked_dir(package, cache)
    if is_fetched(package, cache):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{package}_*.deb")) or [_download(package, cache)]
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)  # dpkg-deb creates the last folder only
    if shutil.which("dpkg-deb"):
        result = subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(target)], capture_output=True, text=True)
        if result.returncode != 0:
            raise SlimsepError(f"dpkg-deb -x {debs[-1]} failed: {result.stderr.strip()}")
    else:
        unpack_deb(debs[-1], target)
    (target / ".complete").write_text(debs[-1].name + "\n")
    return target


def _download(package: str, cache: Path) -> Path:
    """``apt-get download`` into ``cache``; without apt-get, an error saying where to get the file by hand."""
    if shutil.which("apt-get") is None:
        raise SlimsepError(f"{package}: `apt-get` is not available (slimsep downloads Debian packages with apt-get, "
                           f"on Debian or Ubuntu); elsewhere download {package}_*.deb from "
                           f"https://packages.debian.org/stable/all/{package}/download into {cache}/ and run again")
    result = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
    debs = sorted(cache.glob(f"{package}_*.deb"))
    if result.returncode != 0 or not debs:
        reason = (result.stderr.strip().splitlines() or ["no .deb file written"])[-1]
        raise SlimsepError(f"apt-get download {package} failed: {reason}")
    return debs[-1]


def unpack_deb(deb: Path, target: Path) -> None:
    """Unpack a ``.deb`` without dpkg-deb: it is an ``ar`` archive whose ``data.tar.*`` member holds the files
    (gzip, xz or bzip2; tarfile reads them all)."""
    with open(deb, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise SlimsepError(f"{deb}: not a Debian package (no ar archive header)")
        while len(header := f.read(60)) == 60:
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            if name.startswith("data.tar"):
                with tarfile.open(fileobj=io.BytesIO(f.read(size))) as tar:
                    tar.extractall(target, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
                return
            f.seek(size + size % 2, os.SEEK_CUR)
    raise SlimsepError(f"{deb}: no data.tar member (not a Debian package?)")
