"""Paired difference of two operating points over the same mixtures, from ``slimsep evaluate`` reports.

Two models scored on the same mixtures differ per mixture far less than their means' spread suggests, so the
paired difference (mean and standard error over mixtures) is what says whether one beats the other:

    python scripts/paired_difference.py runs/test_new "ship_gate budget 0" runs/test_old "default budget 0"

Prints one row per condition and the pooled row: mean of A - B [dB], its standard error, and the mixture count.
Raises a one-line error when a point is missing or the two share no mixtures.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

from slimsep.data.conditions import condition_order


def scores(report: Path, point: str, metric: str) -> dict[str, tuple[str, float]]:
    """mixture id -> (condition, value) of ``point`` in ``report/utterances.csv`` (excluded rows dropped)."""
    path = report / "utterances.csv"
    if not path.is_file():
        sys.exit(f"paired_difference: {report}: no utterances.csv (not a slimsep evaluate report)")
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["point"] == point and not r.get("excluded")]
    if not rows:
        with open(path, newline="") as f:
            points = sorted({r["point"] for r in csv.DictReader(f)})
        sys.exit(f"paired_difference: {path}: no point {point!r}; it has {', '.join(points)}")
    return {r["id"]: (r["condition"], float(r[metric])) for r in rows}


def table(a: dict[str, tuple[str, float]], b: dict[str, tuple[str, float]]) -> list[tuple[str, float, float, int]]:
    """(condition, mean difference, standard error, n) per condition, then ``all``."""
    shared = sorted(set(a) & set(b))
    if not shared:
        sys.exit("paired_difference: the two points share no mixtures (evaluate both on the same split and --limit)")
    groups: dict[str, list[float]] = {}
    for key in shared:
        diff = a[key][1] - b[key][1]
        groups.setdefault(a[key][0], []).append(diff)
        groups.setdefault("all", []).append(diff)
    out = []
    for name, diffs in sorted(groups.items(), key=lambda kv: (kv[0] == "all", condition_order(kv[0]))):
        d = np.asarray(diffs)
        se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
        out.append((name, float(d.mean()), se, int(d.size)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_a", type=Path)
    parser.add_argument("point_a")
    parser.add_argument("report_b", type=Path)
    parser.add_argument("point_b")
    parser.add_argument("--metric", default="si_sdri", help="a column of utterances.csv (default: si_sdri)")
    args = parser.parse_args()
    rows = table(scores(args.report_a, args.point_a, args.metric), scores(args.report_b, args.point_b, args.metric))
    print(f"| condition | {args.metric}: A - B | s.e. | n |\n|---|---:|---:|---:|")
    for name, mean, se, n in rows:
        print(f"| {name} | {mean:+.2f} | {se:.2f} | {n} |")


if __name__ == "__main__":
    main()
