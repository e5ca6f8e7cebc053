"""Export a DSN as a folder of static ONNX graphs (one per width where widths differ) plus a manifest.

Each width's slimmable layers become their own graph with the sliced weights baked in, so a runtime that routes
chunks to the graph of their width spends the compute of that width (docs/design.md §6). Exported with the
TorchScript exporter (``dynamo=False``): the dynamo exporter needs ``onnxscript``, which slimsep does not require.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from slimsep import __version__
from slimsep.atomic import atomic_path, write_json_atomic
from slimsep.errors import SlimsepError
from slimsep.inference.files import writable_folder
from slimsep.models import geometry
from slimsep.models.dsn import DSN
from slimsep.models.macs import width_costs
from slimsep.models.transformer import SlimTransformerLayer
from slimsep.onnx import graphs
from slimsep.onnx.format import FORMAT, FORMAT_VERSION, MANIFEST, declared, graph_names, graph_widths

MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 14, 20, 17  # 14: first opset with the attention export


@dataclass
class GraphSpec:
    file: str
    module: nn.Module
    args: tuple[torch.Tensor, ...]
    inputs: dict[str, dict[int, str]]  # input name -> dynamic axes
    outputs: dict[str, dict[int, str]]


def export_onnx(model: DSN, folder: str | Path, opset: int = DEFAULT_OPSET, overwrite: bool = False,
                width: float | None = None) -> Path:
    """Write every graph of ``model`` and ``manifest.json`` into ``folder``; returns the manifest path.

    ``width``: the width the model runs at by default (a static baseline's own width), recorded in the manifest;
    None for a DSN, whose gates decide.

    The manifest is written last and removed first when overwriting, so an interrupted export never loads.
    """
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise SlimsepError(f"--opset {opset}: supported opsets are {MIN_OPSET} to {MAX_OPSET}")
    folder = _prepare(Path(folder), overwrite)
    model = copy.deepcopy(model).cpu().float().eval()
    names = graph_names(model.cfg)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings of the TorchScript exporter
        widths = graph_widths(names, model.cfg)
        for spec in _specs(model, names):
            _export_graph(spec, folder, opset, widths[spec.file])
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "slimsep_version": str(__version__),
                "opset": opset, "model_name": model.cfg.name, "config": model.cfg.to_dict(),
                "costs": width_costs(model.cfg), "width": width, "graphs": names}
    return write_json_atomic(folder / MANIFEST, manifest)


def _prepare(folder: Path, overwrite: bool) -> Path:
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise SlimsepError(f"{folder}: folder is not empty; pass --overwrite to export into it")
    writable_folder(folder)
    (folder / MANIFEST).unlink(missing_ok=True)
    for stale in [*folder.glob("*.onnx"), *folder.glob(".*.onnx.*.tmp")]:  # an earlier export's graphs: a model
        stale.unlink()  # with other widths or blocks would leave files the new manifest does not name
    return folder


def _export_graph(spec: GraphSpec, folder: Path, opset: int, width: float | None) -> None:
    """One graph, declaring its file name and ``width`` in its metadata (``format.declared``, checked by the
    runtime), written to a temporary file beside its destination and renamed when complete."""
    import onnx

    with atomic_path(folder / spec.file) as tmp:
        torch.onnx.export(spec.module, spec.args, tmp, dynamo=False, opset_version=opset,
                          input_names=list(spec.inputs), output_names=list(spec.outputs),
                          dynamic_axes={**spec.inputs, **spec.outputs})
        graph = onnx.load(tmp)
        for key, value in declared(spec.file, width).items():
            graph.metadata_props.add(key=key, value=value)
        onnx.save(graph, tmp)


def _specs(model: DSN, names: dict[str, Any]) -> Iterator[GraphSpec]:
    """Every graph with example inputs (batch 2, 3 chunks, 5 rows: no axis of size 1 for the tracer to fix)."""
    cfg, gen = model.cfg, torch.Generator().manual_seed(0)
    K, D = cfg.chunk_size, cfg.d_model
    C = 3
    n_samples = geometry.samples_for_chunks(cfg, C)
    enc, x, energy = graphs.Front(model)(torch.randn(2, n_samples, generator=gen))
    rows, chunk, row = torch.randn(5, K, D, generator=gen), {0: "batch", 1: "chunks"}, {0: "rows"}
    frames = {0: "batch", 2: "frames"}
    yield GraphSpec(names["front"], graphs.Front(model), (torch.randn(2, n_samples, generator=gen),),
                    {"mix": {0: "batch", 1: "samples"}}, {"enc": frames, "x": chunk, "energy": chunk})
    yield GraphSpec(names["back"], graphs.Back(model), (enc, x), {"enc": frames, "x": chunk},
                    {"estimates": {0: "batch", 2: "samples"}})
    for r, block in enumerate(model.blocks):
        yield GraphSpec(names["gates"][r], graphs.Gate(model.gates[r]), (x, energy), {"x": chunk, "energy": chunk},
                        {"logits": chunk})
        for w, width in enumerate(cfg.widths):
            yield GraphSpec(names["intra"][r][w], graphs.Intra(block, width), (rows,), {"rows": row}, {"out": row})
        if cfg.stack_norm:
            end = torch.randn(5, K, D, generator=gen)
            yield GraphSpec(names["inter_close"][r], graphs.InterClose(block), (rows, end),
                            {"start": row, "end": row}, {"out": row})
        if not cfg.slim_inter:
            yield GraphSpec(names["inter"][r], graphs.InterFull(block), (x,), {"x": chunk}, {"out": chunk})
            continue
        for layer_i, layer in enumerate(block.inter):
            for w, width in enumerate(cfg.widths):
                if width == 0:
                    continue
                d = geometry.attn_width(cfg, width)
                yield GraphSpec(names["inter_qkv"][r][layer_i][w], graphs.InterQKV(layer, width), (rows,),
                                {"rows": row}, {"qkv": row})
                yield GraphSpec(names["inter_out"][r][layer_i][w], graphs.InterOut(layer, width),
                                (rows, torch.randn(5, K, d, generator=gen)), {"rows": row, "attended": row},
                                {"out": row})
    if cfg.slim_inter:
        seq = {0: "seq", 1: "chunks", 2: "channels"}
        q = torch.randn(3, 2 * K, C, cfg.attn_dim, generator=gen)
        mask = torch.zeros(2 * K, cfg.n_heads, 1, C)
        yield GraphSpec(names["attention"], graphs.Attention(SlimTransformerLayer(cfg)), (*q, mask),
                        {"q": seq, "k": seq, "v": seq, "mask": {0: "seq", 1: "heads", 3: "chunks"}}, {"out": seq})
