"""Evaluation: operating points, metrics, per-condition reports, the trade-off plot, the audio examples page.

Names are imported on first use, so the torch-free operating-point policy (``points``: which width a model file
runs at) loads without PyTorch or the metrics' dependencies.
"""
from __future__ import annotations

from slimsep.lazy import lazy_exports

_WHERE = {"evaluate_point": "evaluate", "separation_metrics": "metrics",
          "OperatingPoint": "points", "operating_points": "points",
          "WidthProfile": "width_gain", "held_out_r2": "width_gain", "width_profile": "width_gain"}

__all__ = ["OperatingPoint", "WidthProfile", "evaluate_point", "held_out_r2", "operating_points",
           "separation_metrics", "width_profile"]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
