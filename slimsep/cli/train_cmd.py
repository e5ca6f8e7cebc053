"""``slimsep train``: one training stage from a YAML config (slimmable, gate or static)."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="train a stage: slimmable, gate or static",
                              description="Train from configs/<name>.yaml; the run folder gets checkpoints, "
                                          "logs, the resolved config and model.pt.")
    p.add_argument("--config", type=Path, help="YAML config (see configs/)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config entry, e.g. --set trainer.max_steps=100 (repeatable)")
    p.add_argument("-o", "--out", type=Path, required=True, help="run folder")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.training import load_config, train

    cfg = load_config(args.config, args.overrides)
    path = train(cfg, args.out, resume=args.resume, command=shlex.join(["slimsep", *sys.argv[1:]]))
    print(f"model written to {path}")
    return 0
