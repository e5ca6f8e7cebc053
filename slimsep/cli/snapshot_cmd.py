"""``slimsep snapshot``: a model file from a training run that may still be going (the campaign's daily landing)."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("snapshot", help="write a run's newest checkpoint as a model file",
                              description="Write the newest intact checkpoint of a training run (its EMA weights "
                                          "when the run keeps one) as a model file, float16 by default, that "
                                          "`slimsep separate --model` reads and `init_from` continues from.")
    p.add_argument("run", type=Path, help="run folder (slimsep train -o)")
    p.add_argument("-o", "--out", type=Path, required=True, help="model file to write")
    p.add_argument("--float32", action="store_true", help="keep float32 weights (twice the size)")
    p.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    p.add_argument("--checkpoint", default=None, metavar="NAME",
                   help="a checkpoint file of the run's checkpoints/ folder instead of the newest, e.g. best-1000.ckpt "
                        "(the best validated step)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.models.serialization import load_model_and_metadata
    from slimsep.training.snapshot import snapshot

    path = snapshot(args.run, args.out, half=not args.float32, overwrite=args.overwrite, checkpoint=args.checkpoint)
    meta = load_model_and_metadata(path)[1]
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {meta['stage']} stage, step {meta['steps']} of this run, "
          f"{meta['total_steps']} in all{_earlier_stages(meta)}, from {meta['snapshot_of']}"
          f"{' (EMA weights)' if meta['averaged'] else ''}")
    return 0


def _earlier_stages(meta: dict) -> str:
    """The stages the model went through before this one (its ``lineage``), e.g. ' after static 5,394 steps'."""
    from slimsep.training.lineage import describe_lineage

    earlier = meta.get("lineage", [])[:-1]
    return f" after {describe_lineage(earlier)}" if earlier else ""
