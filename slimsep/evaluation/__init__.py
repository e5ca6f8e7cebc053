"""Evaluation: metrics, per-condition reports, the trade-off plot, the audio examples page."""
from slimsep.evaluation.evaluate import OperatingPoint, evaluate_point
from slimsep.evaluation.metrics import separation_metrics

__all__ = ["OperatingPoint", "evaluate_point", "separation_metrics"]
