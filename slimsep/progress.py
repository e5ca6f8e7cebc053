"""Progress bars for work that takes more than a few seconds: tqdm on stderr, off when stderr is not a terminal
(logs, pipes, tests) or when the user asked for ``--quiet``, so scripted output stays clean."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def shown(quiet: bool = False) -> bool:
    """Whether a bar would be drawn: not ``quiet`` and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


def bar(iterable: Iterable[T] | None = None, total: int | None = None, desc: str = "", quiet: bool = False,
        unit: str = "it") -> tqdm:
    """A tqdm bar on stderr that disappears when done; disabled unless :func:`shown`."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                disable=not shown(quiet), dynamic_ncols=True)


def each(items: Iterable[T], desc: str, quiet: bool = False, unit: str = "it") -> Iterator[T]:
    """``items`` with a bar (see :func:`bar`); the total is ``len(items)`` when it has one."""
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    yield from bar(items, total=total, desc=desc, quiet=quiet, unit=unit)
