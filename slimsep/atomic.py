"""Atomic file writes: a file appears complete under its name, or not at all.

Every writer in slimsep (audio, text reports, model files, ONNX graphs, plots) writes to a temporary file in the
destination folder and renames it onto the destination when complete; ``os.replace`` within one folder is atomic on
POSIX and Windows, so an interrupted write never leaves a half-written file under the real name, and never
replaces a good file with a broken one. The finished file gets the mode a plain ``open`` would give it (it follows
the umask), not the owner-only mode of a temporary file.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from slimsep.errors import SlimsepError


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` (``.<name>.<random><suffix>``, so hidden) to write into; renamed onto
    ``path`` when the block completes, removed when it raises. ``suffix`` keeps the extension some writers need
    (matplotlib picks the format from it)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _publish(Path(tmp), path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _publish(tmp: Path, path: Path) -> None:
    """Rename a finished temporary file onto ``path`` with the umask's mode: ``mkstemp`` creates files readable by
    their owner only (0600); outputs follow the umask like any file a tool writes (0644 under the usual 022)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file (JSON, CSV, Markdown, UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | Path, obj: object, indent: int = 1) -> Path:
    """``obj`` as indented JSON, atomically. NaN and Infinity are not JSON (most readers reject them), so a
    non-finite number is a :class:`SlimsepError` naming the file, and nothing is written."""
    try:
        text = json.dumps(obj, indent=indent, allow_nan=False)
    except ValueError:
        raise SlimsepError(f"{path}: refusing to write a number that is not finite (NaN or Infinity)") from None
    return write_text_atomic(path, text + "\n")
