"""Fetch Debian data packages that carry real speech and noise, and unpack them without installing.

``apt-get download`` needs no root and none of the package's dependencies; ``dpkg-deb -x`` unpacks the files into a
cache folder. Both are cached, so a second call costs nothing and works offline.
"""
from __future__ import annotations

import os
import shutil
import subprocess
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


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        raise SlimsepError(f"`{tool}` is not available: slimsep fetches the open corpus from Debian's archive with "
                           f"apt-get download and dpkg-deb, which need a Debian or Ubuntu system")


def fetch_package(package: str, cache: Path | None = None) -> Path:
    """Download (if needed) and unpack ``package``; returns the folder holding its ``usr/`` tree."""
    cache = cache or cache_dir()
    target = unpacked_dir(package, cache)
    if (target / ".complete").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{package}_*.deb"))
    if not debs:
        _require("apt-get")
        result = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
        debs = sorted(cache.glob(f"{package}_*.deb"))
        if result.returncode != 0 or not debs:
            reason = (result.stderr.strip().splitlines() or ["no .deb file written"])[-1]
            raise SlimsepError(f"apt-get download {package} failed: {reason}")
    _require("dpkg-deb")
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)  # dpkg-deb creates the last folder only
    result = subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(target)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SlimsepError(f"dpkg-deb -x {debs[-1]} failed: {result.stderr.strip()}")
    (target / ".complete").write_text(debs[-1].name + "\n")
    return target
