"""``slimsep profile``: analytic GMAC/s and measured CPU time per width."""
from __future__ import annotations

import argparse
import json

from slimsep.cli.separate_cmd import add_precision_option
from slimsep.models.config import NAMED_CONFIGS, get_config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("profile", help="GMAC/s and measured CPU ms per second of audio, per width",
                              description="Benchmark each static width and a mixed per-chunk assignment.")
    p.add_argument("--config", default="small", choices=sorted(NAMED_CONFIGS),
                   help="named architecture (random weights; speed does not depend on them; default: %(default)s)")
    p.add_argument("--model", help="a slimsep model file or a shipped model's name (e.g. default); overrides --config")
    p.add_argument("--seconds", type=float, default=4.0, help="length of the test signal [s] (default: %(default)s)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch, at least 1, capped at the cores (default: %(default)s)")
    add_precision_option(p, "auto", "number format timed; auto: bfloat16 where the CPU multiplies it in hardware, "
                                    "as `slimsep separate` runs")
    p.add_argument("--runs", type=int, default=7, help="timed runs, the median reported (default: %(default)s)")
    p.add_argument("--no-slim-inter", action="store_true",
                   help="keep the inter-chunk layers at full width for every chunk (the Amdahl-limited variant)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the CLI's other commands (separate --backend onnx) must start without PyTorch.
    from slimsep.inference.precision import resolve_precision
    from slimsep.inference.pretrained import resolve
    from slimsep.models.dsn import DSN
    from slimsep.models.serialization import load_model
    from slimsep.profiling import profile_model, rows_to_json, rows_to_table
    from slimsep.threads import check_threads

    args.threads = check_threads(args.threads, "--threads")  # before the model loads: a bad count is one line
    model = load_model(resolve(args.model)) if args.model else DSN(get_config(args.config))
    if args.no_slim_inter:
        # Same weights, different execution: only the intra-chunk layers follow each chunk's width.
        state = model.state_dict()
        model = DSN(model.cfg.replace(slim_inter=False))
        model.load_state_dict(state)
    precision = resolve_precision(args.precision, "cpu", "--precision")
    rows = profile_model(model, seconds=args.seconds, threads=args.threads, runs=args.runs, precision=precision)
    if args.json:
        report = {"model": model.cfg.name, "intra_type": model.cfg.intra_type, "inter_type": model.cfg.inter_type,
                  "slim_inter": model.cfg.slim_inter, "threads": args.threads, "precision": precision,
                  "seconds": args.seconds, **rows_to_json(rows)}
        print(json.dumps(report, indent=2))
    else:
        # The layer types too: a file saved as "small" before 2026-12-06 is today's small_transformer.
        print(f"model: {model.cfg.name} ({model.cfg.intra_type} intra, {model.cfg.inter_type} inter layers, "
              f"slim_inter={model.cfg.slim_inter}), {args.seconds:g} s of audio at {model.cfg.sample_rate} Hz, "
              f"{args.threads} thread(s), {precision}{' (auto)' if args.precision == 'auto' else ''}")
        print(rows_to_table(rows))
    return 0
