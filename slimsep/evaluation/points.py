"""Operating points: at which budgets and widths a model file is evaluated, decided by its training stage.

A static baseline runs at the width it was trained at; a stage-1 (slimmable) network only at static widths, as
its gates are untrained; a DSN gated at each budget, and also at each asked static width it has.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slimsep.errors import SlimsepError

POINT_SUFFIX = re.compile(r" (?:budget|at) [0-9.e+-]+$")  # the suffixes operating_points gives DSN/slimmable labels

if TYPE_CHECKING:
    from slimsep.models import DSN


@dataclass(frozen=True)
class OperatingPoint:
    """One way to run a model: gated at ``budget`` (kind "dsn") or every chunk at ``width``."""

    label: str
    kind: str  # "dsn" (gated), "slimmable" (a slimmable network at one width) or "static" (trained at one width)
    budget: float = 0.0
    width: float | None = None

    def widths_arg(self) -> float | None:
        return None if self.kind == "dsn" else self.width


def trained_width(metadata: dict) -> float | None:
    """The width a model file was trained to run at: a static baseline's own width; full width for a stage-1
    network (its gates are untrained); None (the gates decide) for a DSN or a file without a recipe."""
    stage = metadata.get("stage")
    if stage == "static":
        return float(metadata.get("recipe", {}).get("static", {}).get("width", 1.0))
    return 1.0 if stage == "slimmable" else None


def operating_points(name: str, model: DSN, meta: dict, budgets: list[float],
                     widths: list[float]) -> list[OperatingPoint]:
    """A static-stage model runs at its width; others gated at each budget and at each asked static width.

    ``meta``: the model file's metadata (its training stage and recipe). Asked widths the model lacks are left out
    (``missing_widths`` names them), so models with different width sets can share one call.
    """
    label = Path(name).parent.name if Path(name).name == "model.pt" else Path(name).stem  # run folder or file
    widths = [w for w in widths if model.cfg.has_width(w)]
    if meta.get("stage") == "static":
        width = trained_width(meta)
        return [OperatingPoint(f"{label} (static {width:g})", "static", width=width)]
    if meta.get("stage") == "slimmable":  # stage 1: its gates are untrained, so only static widths mean anything
        return [OperatingPoint(f"{label} at {w:g}", "slimmable", width=w) for w in widths or model.cfg.widths if w]
    points = [OperatingPoint(f"{label} budget {b:g}", "dsn", budget=b) for b in budgets]
    return points + [OperatingPoint(f"{label} at {w:g}", "slimmable", width=w) for w in widths]


def model_of(label: str) -> str:
    """The model part of a DSN or slimmable operating point's label (as :func:`operating_points` writes them):
    ``"run budget 0"`` and ``"run at 0.5"`` -> ``"run"``; other labels are returned unchanged."""
    return POINT_SUFFIX.sub("", label)


def missing_widths(model: DSN, meta: dict, widths: list[float]) -> list[float]:
    """Asked widths a gated or stage-1 model cannot run at (a static model ignores ``--width``)."""
    if meta.get("stage") == "static":
        return []
    return [w for w in widths if not model.cfg.has_width(w)]


def check_unique_labels(plan: list[tuple[DSN, OperatingPoint]]) -> None:
    """Rows and tables are keyed by operating-point label: two models with one label would be averaged together.
    Raises SlimsepError naming the label."""
    seen: dict[str, int] = {}
    for i, (_, point) in enumerate(plan):
        if point.label in seen and plan[seen[point.label]][0] is not plan[i][0]:
            raise SlimsepError(f"two models give the operating point {point.label!r} (the label comes from the file "
                               f"name, or the run folder of a model.pt): give the model files different names")
        seen.setdefault(point.label, i)
