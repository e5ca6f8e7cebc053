"""``slimsep export onnx``: a model as static ONNX graphs per width, for deployment without PyTorch."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export a model for deployment without PyTorch",
                              description="Export a model into a folder that `slimsep separate --backend onnx` "
                                          "(or slimsep.onnx.runtime.OnnxDSN) runs with onnxruntime.")
    formats = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    onnx = formats.add_parser("onnx", help="ONNX graphs per width, gates, front and back, and a manifest",
                              description="Each width's slimmable layers become one static ONNX graph; the "
                                          "runtime groups chunks by the width their gate picks and runs one call "
                                          "per width.")
    onnx.add_argument("--model", default=None, help="model file, or a shipped model's name (default: default)")
    onnx.add_argument("-o", "--outdir", type=Path, required=True, help="folder to write (must be empty or new)")
    onnx.add_argument("--opset", type=int, default=17, help="ONNX opset, 14 to 20 (default: 17)")
    onnx.add_argument("--overwrite", action="store_true",
                      help="export into a non-empty folder, replacing the graphs and manifest of an earlier export")
    onnx.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.inference.pretrained import resolve
    from slimsep.evaluation.points import trained_width
    from slimsep.models.serialization import load_model_and_metadata
    from slimsep.onnx.export import export_onnx
    from slimsep.onnx.format import flat_names, graph_names

    model, meta = load_model_and_metadata(resolve(args.model))
    manifest = export_onnx(model, args.outdir, opset=args.opset, overwrite=args.overwrite, width=trained_width(meta))
    n_graphs = len(flat_names(graph_names(model.cfg)))
    print(f"{args.model or 'default'} -> {manifest.parent} ({n_graphs} ONNX graphs, opset {args.opset})")
    return 0
