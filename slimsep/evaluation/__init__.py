"""Evaluation: operating points, metrics, per-condition reports, the trade-off plot, the audio examples page."""
from slimsep.evaluation.evaluate import evaluate_point
from slimsep.evaluation.metrics import separation_metrics
from slimsep.evaluation.points import OperatingPoint, operating_points

__all__ = ["OperatingPoint", "evaluate_point", "operating_points", "separation_metrics"]
