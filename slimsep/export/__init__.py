"""Export of trained models for deployment without PyTorch (ONNX graphs per width plus a manifest)."""
from slimsep.export.onnx_export import export_onnx

__all__ = ["export_onnx"]
