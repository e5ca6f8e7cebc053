"""Inference on users' recordings: any rate, channels and length; shipped models by name."""
from slimsep.inference.pretrained import available, resolve
from slimsep.inference.separator import Separator

__all__ = ["Separator", "available", "resolve"]
