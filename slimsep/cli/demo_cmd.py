"""``slimsep demo``: separate a real two-talker mixture with the shipped model and report how well it did."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="separate a real two-talker mixture with the shipped model",
                              description=__doc__ + " The speech comes from Debian's codec2-examples "
                                                    "(fetched once with apt-get download, then cached).")
    p.add_argument("-o", "--out", type=Path, default=Path("slimsep-demo"), help="output folder")
    p.add_argument("--model", default=None, help="model file or shipped name (default: default)")
    p.add_argument("--budget", type=float, default=0.0, help="gate budget (higher: slimmer, cheaper)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from slimsep.inference import Separator
    from slimsep.inference.demo import run_demo

    separator = Separator.from_pretrained(args.model)
    report = run_demo(separator, args.out, budget=args.budget)
    shares = ", ".join(f"{w}: {100 * s:.0f} %" for w, s in report["width_share"].items())
    print(f"model {report['model']}: SI-SDRi {report['si_sdri']:.1f} dB, SDRi {report['sdri']:.1f} dB, "
          f"SIRi {report['siri']:.1f} dB (how far the other talker is pushed down), "
          f"{report['gmac_per_s']:.2f} GMAC/s, real-time factor {report['real_time_factor']:.3f}")
    print(f"chunks per width: {shares}")
    print(f"listen: {args.out}/mixture.wav, estimate1.wav, estimate2.wav (report.json)")
    return 0
