"""Atomic file writes: a file appears complete under its name, or not at all.

Every writer in slimsep (audio, text reports, model files, ONNX graphs, plots) writes to a temporary file in the
destination folder and renames it onto the destination when complete; ``os.replace`` within one folder is atomic on
POSIX and Windows, so an interrupted write never leaves a half-written file under the real name, and never
replaces a good file with a broken one.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file (JSON, CSV, Markdown, UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
