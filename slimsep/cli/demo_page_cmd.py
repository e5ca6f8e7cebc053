"""``slimsep demo-page``: a static HTML page of audio examples per condition, with the gate's widths over time."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo-page", help="static HTML audio examples page", description=__doc__)
    p.add_argument("--model", default=None, help="model file or shipped name (default: default)")
    p.add_argument("--data", type=Path, required=True, help="a folder of condition folders (ov*_na*)")
    p.add_argument("--split", default="test")
    p.add_argument("--task", default="sep_clean", choices=["sep_clean", "sep_noisy"])
    p.add_argument("--per-condition", type=int, default=2, help="examples per condition (default: %(default)s)")
    p.add_argument("--budget", type=float, default=0.0)
    p.add_argument("-o", "--out", type=Path, required=True, help="site folder")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.data import find_conditions
    from slimsep.evaluation.demo_page import build_demo_page
    from slimsep.data.factory import check_sample_rate
    from slimsep.inference.pretrained import DEFAULT, resolve
    from slimsep.inference.separator import check_budget
    from slimsep.models import load_model

    check_budget(args.budget, "--budget")
    model = load_model(resolve(args.model))
    datasets = find_conditions(args.data, task=args.task, split=args.split, sample_rate=model.cfg.sample_rate)
    for dataset in datasets.values():
        check_sample_rate(dataset, model.cfg.sample_rate, "the data")
    page = build_demo_page(model, datasets, args.out, per_condition=args.per_condition, budget=args.budget,
                           model_name=args.model or DEFAULT, task=args.task, quiet=args.quiet)
    print(f"page written to {page}")
    return 0
