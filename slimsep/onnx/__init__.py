"""The ONNX deployment of a DSN, in one package: the folder format, the graphs, the export and the runtime.

- ``format``: the manifest and graph file names that the export writes and the runtime reads (torch-free);
- ``graphs``: the DSN cut into one ``nn.Module`` per graph (PyTorch);
- ``export``: ``export_onnx`` writes those graphs and the manifest (PyTorch);
- ``runtime``: ``OnnxDSN`` runs an exported folder with onnxruntime and numpy (torch-free).

Names are imported on first use, so ``from slimsep.onnx import OnnxDSN`` works where PyTorch is not installed.
"""
from __future__ import annotations

from slimsep.lazy import lazy_exports

_WHERE = {"OnnxDSN": "runtime", "export_onnx": "export", "read_manifest": "format"}

__all__ = ["OnnxDSN", "export_onnx", "read_manifest"]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
