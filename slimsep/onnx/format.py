"""The folder ``slimsep export onnx`` writes: manifest format and graph file names, shared by exporter and runtime.

Torch-free on purpose: the ONNX runtime reads this module where PyTorch is not installed.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from slimsep.errors import ModelFileError, SlimsepError, first_line
from slimsep.models.config import ModelConfig

FORMAT = "slimsep-onnx"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Each graph file declares what it is in its ONNX metadata (written by the exporter, checked by the runtime), so a
# graph copied over another's name (another width, another block) is refused instead of run.
GRAPH_KEY, WIDTH_KEY = "slimsep_graph", "slimsep_width"


def graph_names(cfg: ModelConfig) -> dict[str, Any]:
    """File name of every graph, by role; ``None`` where a width has no graph (width 0 in the inter layers).

    ``intra[r][w]``: block r's positional encoding and intra stack at width index w. With ``slim_inter``,
    ``inter_qkv[r][l][w]`` / ``inter_out[r][l][w]`` are the per-token parts of inter layer l and ``attention``
    the weight-free attention across chunks; otherwise ``inter[r]`` is block r's full inter stack. With
    ``stack_norm``, ``inter_close[r]`` adds block r's normalised inter-stack output to the stack's input.
    """
    W, R = range(len(cfg.widths)), range(cfg.n_blocks)
    names: dict[str, Any] = {
        "front": "front.onnx", "back": "back.onnx",
        "gates": [f"gate_{r}.onnx" for r in R],
        "intra": [[f"intra_{r}_w{w}.onnx" for w in W] for r in R],
    }
    if cfg.stack_norm:  # the inter stack's norm and residual (DualPathBlock.close_inter)
        names["inter_close"] = [f"inter_{r}_close.onnx" for r in R]
    if not cfg.slim_inter:
        names["inter"] = [f"inter_{r}.onnx" for r in R]
        return names

    def per_width(r: int, layer: int, part: str) -> list[str | None]:
        return [f"inter_{r}_{layer}_w{w}_{part}.onnx" if cfg.widths[w] > 0 else None for w in W]

    names["attention"] = "attention.onnx"
    names["inter_qkv"] = [[per_width(r, layer, "qkv") for layer in range(cfg.inter_layers)] for r in R]
    names["inter_out"] = [[per_width(r, layer, "out") for layer in range(cfg.inter_layers)] for r in R]
    return names


def flat_names(names: dict[str, Any]) -> list[str]:
    """Every file name in a :func:`graph_names` tree."""
    if isinstance(names, str):
        return [names]
    if isinstance(names, dict):
        names = list(names.values())
    return [n for item in names if item is not None for n in flat_names(item)]


def graph_widths(names: dict[str, Any], cfg: ModelConfig) -> dict[str, float | None]:
    """File name -> the width its graph runs at; None for graphs without one (front, back, gates, attention, the
    full inter stacks and their closing norms)."""
    widths: dict[str, float | None] = dict.fromkeys(flat_names(names))
    per_width = [*names.get("intra", []), *[row for part in ("inter_qkv", "inter_out") for layers in
                                           names.get(part, []) for row in layers]]
    for row in per_width:
        widths.update({name: cfg.widths[w] for w, name in enumerate(row) if name})
    return widths


def declared(graph: str, width: float | None) -> dict[str, str]:
    """The metadata a graph file carries: its file name and width ("" for none)."""
    return {GRAPH_KEY: graph, WIDTH_KEY: "" if width is None else f"{width:g}"}


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The validated manifest of an export folder; every problem is one line naming the path."""
    folder = Path(folder)
    if not folder.exists():
        raise SlimsepError(f"{folder}: exported model folder does not exist")
    if not folder.is_dir():
        raise SlimsepError(f"{folder}: not a folder; --backend onnx takes the folder written by "
                           f"`slimsep export onnx`")
    path = folder / MANIFEST
    if not path.is_file():
        raise SlimsepError(f"{folder}: no {MANIFEST}; not a folder written by `slimsep export onnx`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: unreadable manifest ({first_line(exc)})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a slimsep ONNX export manifest (format marker missing)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: export format version {manifest.get('format_version')!r} (written by "
                           f"slimsep {manifest.get('slimsep_version', '?')}), this slimsep reads version "
                           f"{FORMAT_VERSION}; re-export the model with `slimsep export onnx`")
    missing = [n for n in flat_names(manifest.get("graphs", {})) if not (folder / n).is_file()]
    if "graphs" not in manifest or "config" not in manifest or missing:
        what = f"graph {missing[0]} is missing" if missing else "graphs or config missing"
        raise ModelFileError(f"{path}: incomplete export: {what}")
    return manifest


def manifest_config(manifest: dict[str, Any], folder: str | Path) -> ModelConfig:
    """The model config of a manifest, with its graphs, costs and default width checked against it."""
    path = Path(folder) / MANIFEST
    try:
        cfg = ModelConfig.from_dict(manifest["config"])
    except (SlimsepError, TypeError) as exc:
        raise ModelFileError(f"{path}: bad model config ({first_line(exc)})") from None
    if manifest["graphs"] != graph_names(cfg):
        raise ModelFileError(f"{path}: the graphs listed do not match the model config; re-export the model")
    costs = manifest.get("costs")
    if not (isinstance(costs, list) and len(costs) == len(cfg.widths) and all(_finite(c) and c >= 0 for c in costs)):
        raise ModelFileError(f"{path}: 'costs' must list one finite cost >= 0 per width ({len(cfg.widths)}), got "
                           f"{costs!r}")
    width = manifest.get("width")
    if width is not None and not (_finite(width) and cfg.has_width(width)):
        raise ModelFileError(f"{path}: 'width' {width!r} is not one of the model's widths {cfg.widths}")
    return cfg


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
