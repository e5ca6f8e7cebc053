"""``slimsep data``: build the open corpus, fetch Debian speech packages, inspect and rebuild simulated sets."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from slimsep.errors import SlimsepError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("data", help="build and inspect corpora", description=__doc__)
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    oc = sub.add_parser("open-corpus", help="build the offline open corpus from Debian packages",
                        description="Downloads 0.76 GB of Debian packages with apt-get (Debian or Ubuntu), kept "
                                    "with their unpacked files in ~/.cache/slimsep (2.0 GB), and writes 1.9 GB; "
                                    "7-11 minutes on 2 cores (README.md, 'Train, evaluate, profile').")
    oc.add_argument("-o", "--out", required=True, type=Path, help="output folder")
    oc.add_argument("--n-test", type=int, default=40, help="mixtures per test condition (default: %(default)s)")
    oc.add_argument("--n-valid", type=int, default=10, help="mixtures per validation condition (default: %(default)s)")
    oc.add_argument("--seed", type=int, default=0)
    oc.add_argument("--voices", type=Path, help="a voices folder with MANIFEST.tsv (e.g. ../shared/voices, or one "
                    "built by scripts/build_voices.py): its speakers join the corpus (v3), held-out ones in "
                    "valid_read / test_read")
    oc.add_argument("--voices-valid", type=int, default=20, metavar="N",
                    help="validation speakers drawn from --voices (default: %(default)s)")
    oc.add_argument("--voices-test", type=int, default=40, metavar="N",
                    help="test speakers drawn from --voices (default: %(default)s)")
    oc.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    oc.set_defaults(func=_open_corpus)
    fe = sub.add_parser("fetch", help="download and unpack Debian packages into the cache")
    fe.add_argument("packages", nargs="+", help="e.g. codec2-examples")
    fe.set_defaults(func=_fetch)
    sim = sub.add_parser("simulate", help="overlap x noise-activity conditions from your own utterance lists")
    sim.add_argument("--sources", type=Path, required=True, help="CSV with columns path,speaker")
    sim.add_argument("--noise", type=Path, help="text file, one noise file per line (without: clean conditions)")
    sim.add_argument("-o", "--out", type=Path, required=True)
    sim.add_argument("-n", "--count", type=int, default=100, help="mixtures per condition (default: %(default)s)")
    sim.add_argument("--sample-rate", type=int, default=8000)
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=_simulate)
    rb = sub.add_parser("rebuild", help="re-render a simulated condition folder from its metadata.csv")
    rb.add_argument("folder", type=Path, help="a condition folder, e.g. CORPUS/test/ov50_na100")
    rb.add_argument("--corpus", type=Path, required=True, help="the corpus root the source paths are relative to")
    rb.add_argument("-o", "--out", type=Path, required=True)
    rb.set_defaults(func=_rebuild)
    info = sub.add_parser("info", help="summary of a built open corpus")
    info.add_argument("root", type=Path)
    info.set_defaults(func=_info)


def _open_corpus(args: argparse.Namespace) -> int:
    from slimsep.data.open_corpus import build_open_corpus

    for name in ("n_test", "n_valid", "voices_valid", "voices_test"):
        if getattr(args, name) < 1:
            raise SlimsepError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    summary = build_open_corpus(args.out, n_test=args.n_test, n_valid=args.n_valid, seed=args.seed,
                                quiet=args.quiet, voices=args.voices,
                                voices_held_out=(args.voices_valid, args.voices_test))
    print(format_summary(summary))
    return 0


def format_summary(summary: dict) -> str:
    """Markdown tables: per split (hours, files, voices by gender), per split and source when the corpus has them
    (voices certain / estimated), then the speakers; a corpus built before the source table prints without it."""
    lines = ["| split | hours | files | voices | f / m / unknown | certain / estimated |",
             "|---|---:|---:|---:|---|---|"]
    for name, s in sorted(summary["splits"].items()):
        genders = list(s["speakers"].values())
        counts = " / ".join(str(genders.count(g)) for g in "fmu") if genders else "-"
        by_source = summary.get("sources", {}).get(name.split("_", 1)[1], {}) if genders else {}
        labels = (f"{sum(t['certain'] for t in by_source.values())} / "
                  f"{sum(t['estimated'] for t in by_source.values())}") if by_source else "-"
        lines.append(f"| {name} | {s['hours']:.2f} | {s['files']} | {len(genders) or '-'} | {counts} | {labels} |")
    if "sources" in summary:
        lines += ["", "| split | source | hours | files | voices | f / m / unknown | certain / estimated | "
                  "gender from pitch |", "|---|---|---:|---:|---:|---|---|---:|"]
        for split in ("train", "valid", "test", "valid_read", "test_read"):
            for source, t in sorted(summary["sources"].get(split, {}).items()):
                lines.append(f"| {split} | {source} | {t['hours']:.2f} | {t['files']} | {t['voices']} | "
                             f"{t['f']} / {t['m']} / {t['u']} | {t['certain']} / {t['estimated']} | "
                             f"{t['gender_from_pitch']} |")
        lines.append(f"utterances at {summary['level_dbfs']:g} dBFS active-speech RMS")
    lines.append("")
    for name, s in sorted(summary["splits"].items()):
        if s["speakers"]:
            lines.append(f"{name}: " + ", ".join(f"{k} ({g})" for k, g in sorted(s["speakers"].items())))
    lines.append(f"conditions: {', '.join(summary['conditions'])} ({summary['n_test_per_condition']} test, "
                 f"{summary['n_valid_per_condition']} validation mixtures each); built in "
                 f"{summary['build_seconds']:.0f} s")
    return "\n".join(lines)


def _fetch(args: argparse.Namespace) -> int:
    from slimsep.data.debian import fetch_package

    for package in args.packages:
        print(f"{package}: {fetch_package(package)}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from slimsep.data.conditions import simulate_from_lists

    names = simulate_from_lists(args.sources, args.noise, args.out, args.count, args.seed, args.sample_rate)
    print(f"{len(names)} conditions x {args.count} mixtures in {args.out}/test: {', '.join(names)}")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from slimsep.data.conditions import rebuild_condition

    print(f"rebuilt {rebuild_condition(args.corpus, args.folder, args.out)} mixtures into {args.out}")
    return 0


def _info(args: argparse.Namespace) -> int:
    path = args.root / "summary.json"
    if not path.is_file():
        raise SlimsepError(f"{args.root}: no summary.json (not an open corpus built by slimsep?)")
    print(format_summary(json.loads(path.read_text())))
    return 0
