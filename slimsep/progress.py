"""Progress for work that takes more than a few seconds: a tqdm bar on stderr when it is a terminal; when it is not
(a log, a pipe, a scheduler's output file), one plain line about every ``HEARTBEAT_S`` seconds instead, so a long
``evaluate`` in a log is not silent for minutes while scripted output stays free of bar redraws. ``--quiet``: neither.
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

T = TypeVar("T")
HEARTBEAT_S = 30.0  # seconds between two progress lines when stderr is not a terminal


def shown(quiet: bool = False) -> bool:
    """Whether a bar would be drawn: not ``quiet`` and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


def bar(iterable: Iterable[T] | None = None, total: int | None = None, desc: str = "", quiet: bool = False,
        unit: str = "it") -> tqdm | Heartbeat:
    """A tqdm bar on stderr that disappears when done where :func:`shown`; else a :class:`Heartbeat` (silent when
    ``quiet``). Both take ``update``, ``set_postfix_str``, ``close``, iteration and ``with``."""
    if shown(quiet):
        return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)
    return Heartbeat(iterable, total, desc, unit, every=math.inf if quiet else HEARTBEAT_S)


def each(items: Iterable[T], desc: str, quiet: bool = False, unit: str = "it") -> Iterator[T]:
    """``items`` with a bar (see :func:`bar`); the total is ``len(items)`` when it has one."""
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    yield from bar(items, total=total, desc=desc, quiet=quiet, unit=unit)


class Heartbeat:
    """The part of tqdm's interface slimsep uses, printing ``slimsep: <desc>: 12/180 done, 6 min elapsed, about
    1 h 25 min left`` on stderr when ``every`` seconds have passed since the last line (checked at each update)."""

    def __init__(self, iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "",
                 unit: str = "it", every: float = HEARTBEAT_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.iterable, self.total, self.desc, self.unit = iterable, total, desc, unit
        self.every, self.clock, self.n, self.postfix = every, clock, 0, ""
        self.start = self.last = clock()

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update()

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            print(self.line(now), file=sys.stderr, flush=True)

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self.postfix = text

    def close(self) -> None:
        """Nothing to clear: the lines already written stay in the log."""

    def line(self, now: float) -> str:
        """The progress line at time ``now``: done (of total), elapsed and, with a total, the time left."""
        elapsed = now - self.start
        unit = "" if self.unit == "it" else f" {self.unit}s"
        parts = [f"{self.n}/{self.total}{unit} done" if self.total else f"{self.n}{unit} done",
                 f"{duration(elapsed)} elapsed"]
        if self.total and self.n:
            parts.append(f"about {duration(elapsed / self.n * max(self.total - self.n, 0))} left")
        where = f" ({self.postfix})" if self.postfix else ""
        return f"slimsep: {self.desc or 'working'}{where}: {', '.join(parts)}"


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 25 min``: as precise as a glance at a log needs."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"
