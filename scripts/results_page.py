"""Write docs/results.md from ``slimsep evaluate`` reports: per-condition tables and the trade-off plot.

Every number on the page comes from the reports' summary.json files (merged; a later report's operating point
replaces an earlier one of the same label), so re-running an evaluation and this script refreshes the page:

    python scripts/results_page.py docs/results_src/reports/* runs/report --corpus corpus
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from slimsep.atomic import write_text_atomic
from slimsep.evaluation.report import load_reports, markdown_table, tradeoff_plot
from slimsep.portable import portable

COLUMNS = (("si_sdri", "SI-SDRi [dB]", "{:.2f}"), ("sdri", "SDRi [dB]", "{:.2f}"), ("siri", "SIRi [dB]", "{:.2f}"),
           ("gmac_per_s", "GMAC/s", "{:.3f}"), ("ms_per_s", "CPU ms/s", "{:.1f}"))


def overall_table(summary: dict, origins: dict[str, str], condition: str = "all") -> str:
    """One row per operating point: every metric on one condition (default: all pooled), and the report it is
    from (CPU times compare within one report: each was timed on its own machine)."""
    full = max((per.get(condition, {}).get("gmac_per_s", 0.0) for per in summary.values()), default=1.0)
    lines = ["| operating point | " + " | ".join(c[1] for c in COLUMNS) + " | GMAC/s vs full | report |",
             "|---|" + "---:|" * (len(COLUMNS) + 1) + "---|"]
    for point, per in sorted(summary.items(), key=lambda kv: -kv[1].get(condition, {}).get("gmac_per_s", 0)):
        row = per.get(condition)
        if row:
            cells = [fmt.format(row[key]) if key in row else "-" for key, _, fmt in COLUMNS]
            lines.append(f"| {point} | {' | '.join(cells)} | {100 * row['gmac_per_s'] / full:.0f} % | "
                         f"{origins[point]} |")
    return "\n".join(lines)


def per_condition_counts(summary: dict) -> str:
    """How many mixtures each condition mean is over (``n`` in the summary), e.g. ``16`` or ``16-40``."""
    counts = {int(c["n"]) for per in summary.values() for name, c in per.items() if name != "all"}
    return f"{min(counts)}" if len(counts) == 1 else f"{min(counts)}-{max(counts)}"


def corpus_lines(corpus: Path | None) -> list[str]:
    path = corpus / "summary.json" if corpus else None
    if not path or not path.is_file():
        return []
    splits = json.loads(path.read_text())["splits"]
    lines = ["| split | hours | utterances | speakers |", "|---|---:|---:|---|"]
    for name in ("speech_train", "speech_valid", "speech_test"):
        s = splits.get(name)
        if s:
            named = [f"{k} ({g})" for k, g in sorted(s["speakers"].items()) if g != "u"]
            unnamed = sum(g == "u" for g in s["speakers"].values())
            who = ", ".join(named + ([f"{unnamed} FOTAQ voices"] if unnamed else []))
            lines.append(f"| {name.removeprefix('speech_')} | {s['hours']:.2f} | {s['files']} | {who} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, nargs="+", help="folders written by slimsep evaluate")
    parser.add_argument("--corpus", type=Path, help="open corpus root (for the data table)")
    parser.add_argument("--intro", type=Path, help="Markdown placed above the tables (setting, caveats)")
    parser.add_argument("-o", "--out", type=Path, default=Path("docs/results.md"))
    parser.add_argument("--title", default="Results", help="the page's heading")
    parser.add_argument("--recipe", default="scripts/continue_default_cpu.sh",
                        help="the script whose `slimsep evaluate` lines made the reports")
    parser.add_argument("--drop", action="append", default=[], metavar="LABEL",
                        help="leave out this operating point (repeatable): e.g. baselines a later report supersedes")
    args = parser.parse_args()

    summary, kinds, origins = load_reports(args.reports)
    unknown = [label for label in args.drop if label not in summary]
    if unknown:
        parser.error(f"--drop: no operating point {', '.join(map(repr, unknown))} in these reports")
    summary = {label: per for label, per in summary.items() if label not in args.drop}
    figure = tradeoff_plot(summary, kinds, args.out.parent / "figures" / f"{args.out.stem}_tradeoff.png")
    parts = [f"# {args.title}", ""]
    if args.intro:
        parts += [args.intro.read_text().strip(), ""]
    data_table = corpus_lines(args.corpus)
    if data_table:
        parts += ["## Data", "", *data_table, ""]
    parts += ["## All test conditions pooled", "", overall_table(summary, origins), "",
              f"![SI-SDRi against GMAC/s]({figure.relative_to(args.out.parent).as_posix()})", ""]
    for key, title, _ in COLUMNS:
        with_gmac = key in ("si_sdri", "sdri")
        parts += [f"## {title} per condition" + (" (cells: value / GMAC/s)" if with_gmac else ""), "",
                  markdown_table(summary, key, with_gmac=with_gmac), ""]
    parts += ["Conditions: `ov<overlap %>_na<noise activity %>`; mixtures are `mix_both` (na0 is the clean mixture).",
              f"Mixtures per condition: {per_condition_counts(summary)}.",
              f"Regenerate: `slimsep evaluate` as in `{args.recipe}`, then "
              f"`python scripts/results_page.py {' '.join(map(str, args.reports))} --corpus {portable(str(args.corpus))}"
              f"{f' --intro {args.intro}' if args.intro else ''} --title '{args.title}' -o {args.out}`."]
    write_text_atomic(args.out, "\n".join(parts) + "\n")
    print(f"wrote {args.out} and {figure}")


if __name__ == "__main__":
    main()
