"""Atomic file writes: a file appears complete under its name, or not at all.

Every writer in slimsep (audio, text reports, model files, ONNX graphs, plots) writes to a temporary file in the
destination folder and renames it onto the destination when complete; ``os.replace`` within one folder is atomic on
POSIX and Windows, so an interrupted write never leaves a half-written file under the real name, and never
replaces a good file with a broken one. The finished file gets the mode a plain ``open`` would give it (it follows
the umask), not the owner-only mode of a temporary file. A disk that fills up during the write is one
:class:`~slimsep.errors.DiskFullError` naming the destination (the OSError of a ``write`` names no file).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from slimsep.errors import OutputExistsError, SlimsepError, full_disk_names


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` (``.<name>.<random><suffix>``, so hidden) to write into; renamed onto
    ``path`` when the block completes, removed when it raises. ``suffix`` keeps the extension some writers need
    (matplotlib picks the format from it)."""
    path = Path(path)
    with full_disk_names(path):
        tmp = _temporary(path, suffix)
        try:
            yield tmp
            _publish(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


@contextmanager
def atomic_paths(paths: dict[str, Path], exclusive: bool = False) -> Iterator[dict[str, Path]]:
    """Temporary paths (same keys, hidden, same extension) for files that must appear together: all published when
    the block completes, none when it raises (a signal included: the CLI turns SIGTERM into an exception).

    ``exclusive``: never replace a file, not even one that appeared while the block ran (another run writing the
    same names): each name is claimed with a hard link, which fails when it is taken; the names this call had
    already published are then removed and SlimsepError names the file.
    """
    temps: dict[str, Path] = {}
    try:
        with full_disk_names(_where(paths)):
            for key, path in paths.items():
                temps[key] = _temporary(Path(path), f".tmp{Path(path).suffix}")
            yield temps
            _publish_all(temps, paths, exclusive)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def _where(paths: dict[str, Path]) -> str:
    """What a one-line error names for a group of files: their folder when they share one, else each file."""
    folders = {Path(p).parent for p in paths.values()}
    return f"{folders.pop()}/" if len(folders) == 1 else ", ".join(str(p) for p in paths.values())


def _publish_all(temps: dict[str, Path], paths: dict[str, Path], exclusive: bool) -> None:
    """Publish every temporary file under its name, or (on any failure) remove those already published."""
    published: list[Path] = []
    try:
        for key, path in paths.items():
            _publish(temps[key], Path(path), exclusive)
            published.append(Path(path))
    except BaseException:
        for path in published:
            path.unlink(missing_ok=True)
        raise


def _temporary(path: Path, suffix: str) -> Path:
    """A new temporary file beside ``path``; SlimsepError if ``path`` is a folder, which a rename cannot replace
    (caught here, before any writer spends its work on the file)."""
    if path.is_dir():
        raise SlimsepError(f"{path}: is a folder; give the file's path")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _publish(tmp: Path, path: Path, exclusive: bool = False) -> None:
    """Put a finished temporary file under ``path`` with the umask's mode: ``mkstemp`` creates files readable by
    their owner only (0600); outputs follow the umask like any file a tool writes (0644 under the usual 022).
    ``exclusive``: a hard link, which fails atomically if ``path`` exists (where links are not supported, an
    existence check before the rename)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    if not exclusive:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(tmp, path)
            return
    raise OutputExistsError(path, why="written by another run meanwhile?")


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write a text file (JSON, CSV, Markdown, UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | Path, obj: object, indent: int = 1) -> Path:
    """``obj`` as indented JSON, atomically. NaN and Infinity are not JSON (most readers reject them), so a
    non-finite number is a :class:`SlimsepError` naming the file, and nothing is written."""
    return write_text_atomic(path, json_text(obj, path, indent))


def json_text(obj: object, path: str | Path, indent: int = 1) -> str:
    """``obj`` as the indented JSON text of the file ``path``; SlimsepError naming it for NaN or Infinity."""
    try:
        return json.dumps(obj, indent=indent, allow_nan=False) + "\n"
    except ValueError:
        raise SlimsepError(f"{path}: refusing to write a number that is not finite (NaN or Infinity)") from None
