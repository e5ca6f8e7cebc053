"""``slimsep demo``: separate a real two-talker mixture with the shipped model and report how well it did."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slimsep.cli.separate_cmd import add_precision_option, set_threads


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="separate a real two-talker mixture with the shipped model",
                              description=__doc__ + " The speech comes from Debian's codec2-examples "
                                                    "(~11 MB, fetched once with apt-get download, which needs "
                                                    "Debian or Ubuntu, then cached; elsewhere the error says where "
                                                    "to download the .deb by hand).")
    p.add_argument("-o", "--out", type=Path, default=Path("slimsep-demo"), help="output folder (default: %(default)s)")
    p.add_argument("--model", default=None, help="model file or shipped name (default: default)")
    p.add_argument("--budget", type=float, default=0.0, help="gate budget (higher: slimmer, cheaper)")
    add_precision_option(p, "auto", "number format (as for `slimsep separate`; auto: bfloat16 where the CPU "
                                    "multiplies it in hardware, else float32)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads, at least 1, capped at the cores "
                                                                "(default: PyTorch's choice)")
    p.add_argument("-q", "--quiet", action="store_true", help="no line while the recordings are fetched")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.data.debian import cache_dir, is_fetched
    from slimsep.inference import Separator
    from slimsep.inference.demo import PACKAGE, run_demo

    set_threads(args.threads, "torch")
    if not args.quiet and not is_fetched(PACKAGE):
        print(f"slimsep: fetching Debian's {PACKAGE} (~11 MB, once; cached in {cache_dir()})", file=sys.stderr,
              flush=True)
    separator = Separator.from_pretrained(args.model, precision=args.precision)
    separator.check_budget(args.budget, "--budget")
    report = run_demo(separator, args.out, budget=args.budget)
    shares = ", ".join(f"{w}: {100 * s:.0f} %" for w, s in report["width_share"].items())
    print(f"model {report['model']}: SI-SDRi {report['si_sdri']:.1f} dB, SDRi {report['sdri']:.1f} dB, "
          f"SIRi {report['siri']:.1f} dB (how far the other talker is pushed down), "
          f"{report['gmac_per_s']:.2f} GMAC/s, real-time factor {report['real_time_factor']:.3f} "
          f"({report['precision']})")
    print(f"chunks per width: {shares}")
    print(f"listen: {args.out}/mixture.wav, estimate1.wav, estimate2.wav (report.json)")
    return 0
