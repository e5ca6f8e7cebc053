"""Model parts: config, slimmable layers, gate, dual-path blocks, the DSN, MAC counts, serialisation.

Names are imported on first use, so torch-free parts (``config``, ``macs``) can be imported by the ONNX runtime
without pulling in PyTorch.
"""
from __future__ import annotations

from slimsep.lazy import lazy_exports

_WHERE = {
    "DSN": "dsn", "SeparationOutput": "dsn",
    "ModelConfig": "config", "NAMED_CONFIGS": "config", "get_config": "config",
    "count_macs": "macs", "gmac_per_second": "macs", "width_costs": "macs",
    "load_model": "serialization", "save_model": "serialization",
    "fresh_gates": "derive", "restrict_widths": "derive",
}

__all__ = ["DSN", "ModelConfig", "NAMED_CONFIGS", "SeparationOutput", "count_macs", "fresh_gates", "get_config",
           "gmac_per_second", "load_model", "restrict_widths", "save_model", "width_costs"]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
