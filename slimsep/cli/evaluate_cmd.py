"""``slimsep evaluate``: SI-SDRi, SDRi and GMAC/s per utterance and per condition, for several operating points."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slimsep.cli.separate_cmd import add_precision_option, set_threads
from slimsep.errors import OutputExistsError, SlimsepError

# What one run writes into -o: with any of them there, the folder holds a report that --overwrite must allow replacing.
REPORT_FILES = ("utterances.csv", "summary.json", "points.json", "summary.md", "tradeoff.png")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="score models per condition; table and trade-off plot",
                              description=__doc__)
    p.add_argument("--model", nargs="+", required=True, help="model files or shipped names")
    p.add_argument("--budget", nargs="+", type=float, default=[0.0],
                   help="gate budgets to evaluate each gated model at (default: 0)")
    p.add_argument("--width", nargs="*", type=float, default=[],
                   help="also evaluate each gated model at these static widths (a stage-1 model: only at "
                        "these, default all its non-zero widths)")
    p.add_argument("--data", type=Path, required=True,
                   help="a folder of condition folders (ov*_na*), e.g. an open corpus root")
    p.add_argument("--split", default="test", help="sub-folder of --data holding the conditions (default: test)")
    p.add_argument("--task", default="sep_clean", choices=["sep_clean", "sep_noisy"])
    p.add_argument("--limit", type=int, help="at most this many utterances per condition, at least 1 (default: all)")
    p.add_argument("--no-sdr", action="store_true", help="skip BSS-eval SDR (faster)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads, at least 1, capped at the cores (default: PyTorch's choice)")
    add_precision_option(p, "float32", "number format of the forward passes (float32 by default, so reports "
                                       "compare across machines; auto: bfloat16 where the hardware multiplies it)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("-o", "--out", type=Path, required=True, help="report folder")
    p.add_argument("--overwrite", action="store_true", help="replace a report already in --out")
    p.set_defaults(func=run)


def one_sample_rate(rates: dict[str, int]) -> int:
    """The one sample rate (Hz) of all models (model file -> rate): one call scores them on the same data."""
    if len(set(rates.values())) > 1:
        listed = ", ".join(f"{path}: {rate} Hz" for path, rate in rates.items())
        raise SlimsepError(f"the models run at different sample rates ({listed}); evaluate them in separate calls "
                           f"on data at their rates")
    return next(iter(rates.values()))


def plan_points(args: argparse.Namespace) -> tuple[list, int]:
    """Every model read and every operating point decided before the first (long) evaluation starts:
    ([(model, point), ...], the models' one sample rate in Hz). A width a model lacks is a note on stderr."""
    from slimsep.evaluation.points import check_unique_labels, missing_widths, operating_points
    from slimsep.inference.pretrained import resolve
    from slimsep.models.serialization import load_model_and_metadata

    plan, rates = [], {}
    for name in args.model:
        path = resolve(name)
        model, meta = load_model_and_metadata(path)
        rates[str(path)] = model.cfg.sample_rate
        skipped = missing_widths(model, meta, args.width)
        if skipped:
            print(f"slimsep: note: {path} has no width {', '.join(f'{w:g}' for w in skipped)} (its widths: "
                  f"{', '.join(f'{w:g}' for w in model.cfg.widths)}); skipped", file=sys.stderr)
        plan += [(model, point) for point in operating_points(str(path), model, meta, args.budget, args.width)]
    check_unique_labels(plan)
    return plan, one_sample_rate(rates)


def check_options(args: argparse.Namespace) -> None:
    """The checks that need no model or data, before the (long) evaluation: a count that would evaluate nothing
    (``--limit 0``, ``-1``) or a report that would be replaced silently is one line, not a lost or empty run."""
    from slimsep.inference.files import check_output_folder

    check_output_folder(args.out)
    if args.limit is not None and args.limit < 1:
        raise SlimsepError(f"--limit {args.limit}: must be at least 1 (leave it out to evaluate every utterance)")
    existing = [args.out / name for name in REPORT_FILES if (args.out / name).exists()]
    if existing and not args.overwrite:
        raise OutputExistsError(existing[0], "--overwrite", "an earlier evaluate report")
    set_threads(args.threads, "torch")


def run(args: argparse.Namespace) -> int:
    from slimsep.data import find_conditions
    from slimsep.data.factory import check_sample_rate
    from slimsep.evaluation import evaluate_point
    from slimsep.evaluation.report import excluded_items, summarise, tradeoff_plot, write_rows_csv, write_summary
    from slimsep.inference.precision import resolve_precision
    from slimsep.inference.separator import check_budget

    check_options(args)
    for budget in args.budget:
        check_budget(budget, "--budget")
    precision = resolve_precision(args.precision, "cpu", "--precision")
    plan, rate = plan_points(args)
    datasets = find_conditions(args.data, task=args.task, split=args.split, sample_rate=rate)
    for dataset in datasets.values():
        check_sample_rate(dataset, rate, "the evaluation data")
    rows, kinds = [], {}
    for model, point in plan:
        kinds[point.label] = point.kind
        rows += evaluate_point(model, point, datasets, sdr=not args.no_sdr, limit=args.limit,
                               progress=not args.quiet, precision=precision)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(rows, args.out / "utterances.csv")
    summary = summarise(rows)
    excluded = excluded_items(rows)
    for condition, item, reason in excluded:
        print(f"slimsep: note: {condition}/{item} left out of the means: {reason}", file=sys.stderr)
    write_summary(summary, kinds, args.out, excluded)
    tradeoff_plot(summary, kinds, args.out / "tradeoff.png")
    print((args.out / "summary.md").read_text())
    print(f"report: {args.out}/summary.md, utterances.csv, summary.json, tradeoff.png")
    return 0
