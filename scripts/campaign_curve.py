"""The campaign's validation curve (issue 27): full-width SI-SDRi against campaign steps and CPU hours, and the
stopping rule's gain per working day.

The curve lives in a committed CSV (``docs/figures/campaign_curve.csv``), because run folders stay outside git and
do not survive a new machine. Each session appends its run's validations and redraws the figure:

    python scripts/campaign_curve.py --add runs/campaign_conv_slim --network conv --day 6 --steps-before 5000 \\
        --cpu-hours-before 2.5
    python scripts/campaign_curve.py --out docs/figures/campaign_curve.png

``--add`` reads ``val/si_sdri`` (full width), ``val/si_sdri_slimmest`` and, where logged, ``val/cpu_hours`` from
the run's ``logs/version_*/metrics.csv``; a campaign step is the run's step plus ``--steps-before`` (the steps of
the stages before it). CPU hours are the run's own logged ``val/cpu_hours`` (``cpu_hours_measured`` = yes) plus
``--cpu-hours-before``, the stages before it as docs/training.md counts them; where the run logged none they are
left empty, and older rows carry docs/training.md's estimates (``cpu_hours_measured`` = no). The
printed tables are the stopping rule's views: each network's last full-width value per day and its gain over the
day before, and the best full-width value any network has reached by each day and its gain [dB] (the view the
rule uses since day 10, when a restart from an earlier snapshot would otherwise count as a gain).
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

COLUMNS = ["network", "day", "run", "stage", "campaign_step", "cpu_hours", "cpu_hours_measured", "val_full_db",
           "val_slimmest_db"]
DEFAULT_CSV = Path(__file__).resolve().parents[1] / "docs" / "figures" / "campaign_curve.csv"


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and list(rows[0]) != COLUMNS:
        sys.exit(f"campaign_curve: {path}: columns {list(rows[0])}, expected {COLUMNS}")
    return rows


def run_validations(run: Path) -> list[dict[str, float]]:
    """One dict per validated step of ``run`` (the last value where a step was validated twice), in step order."""
    files = sorted(run.glob("logs/version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[-1]))
    if not files:
        sys.exit(f"campaign_curve: {run}: no logs/version_*/metrics.csv (not a slimsep train run folder)")
    by_step: dict[int, dict[str, float]] = {}
    for path in files:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row.get("val/si_sdri"):
                    by_step[int(row["step"])] = {k: float(row[k]) for k in
                                                 ("val/si_sdri", "val/si_sdri_slimmest", "val/cpu_hours") if row.get(k)}
    return [{"step": s, **by_step[s]} for s in sorted(by_step)]


def new_rows(run: Path, network: str, day: int, stage: str, steps_before: int, cpu_before: float,
             known: list[dict[str, str]], through_step: int | None = None) -> list[dict[str, str]]:
    """Rows for the validations of ``run`` that the CSV does not hold yet (same network and campaign step), up to
    the run's step ``through_step`` when given (a run that went on after a day's end: its later validations
    belong to the next day's ``--add``)."""
    have = {(r["network"], int(r["campaign_step"])) for r in known}
    rows = []
    for v in run_validations(run):
        step = v["step"] + steps_before
        if (network, step) in have or (through_step is not None and v["step"] > through_step):
            continue
        hours = v.get("val/cpu_hours")
        rows.append({"network": network, "day": str(day), "run": f"runs/{run.name}", "stage": stage,
                     "campaign_step": str(step), "cpu_hours": f"{hours + cpu_before:.3f}" if hours is not None else "",
                     "cpu_hours_measured": "yes" if hours is not None else "no",
                     "val_full_db": f"{v['val/si_sdri']:.2f}",
                     "val_slimmest_db": f"{v['val/si_sdri_slimmest']:.2f}" if "val/si_sdri_slimmest" in v else ""})
    return rows


def day_gains(rows: list[dict[str, str]]) -> list[tuple[str, int, float, float | None]]:
    """(network, day, last full-width value that day [dB], gain over the network's previous day [dB] or None)."""
    out: list[tuple[str, int, float, float | None]] = []
    for network in dict.fromkeys(r["network"] for r in rows):
        last: dict[int, float] = {}
        for r in sorted((r for r in rows if r["network"] == network), key=lambda r: int(r["campaign_step"])):
            last[int(r["day"])] = float(r["val_full_db"])
        previous = None
        for day in sorted(last):
            out.append((network, day, last[day], None if previous is None else last[day] - previous))
            previous = last[day]
    return out


def best_gains(rows: list[dict[str, str]]) -> list[tuple[int, float, float | None]]:
    """(day, best full-width value of any network up to and including that day [dB], gain over the day before [dB]
    or None). Why: a fork (a new network name) or a restart from an earlier snapshot starts below or at a value the
    campaign already had, so its last value against its own previous day measures the fork, not the campaign; the
    best value a snapshot of the campaign has reached is what the stopping rule can count as progress (day 10)."""
    out: list[tuple[int, float, float | None]] = []
    best = previous = None
    for day in sorted({int(r["day"]) for r in rows}):
        today = max(float(r["val_full_db"]) for r in rows if int(r["day"]) == day)
        best = today if best is None else max(best, today)
        out.append((day, best, None if previous is None else best - previous))
        previous = best
    return out


def plot(rows: list[dict[str, str]], out: Path) -> Path:
    """Two panels: SI-SDRi against campaign steps (every validation), and against CPU hours (rows that have them;
    open markers: estimates)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_step, by_cpu) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for i, network in enumerate(dict.fromkeys(r["network"] for r in rows)):
        mine = sorted((r for r in rows if r["network"] == network), key=lambda r: int(r["campaign_step"]))
        color = f"C{i}"
        steps = [int(r["campaign_step"]) for r in mine]
        by_step.plot(steps, [float(r["val_full_db"]) for r in mine], "o-", color=color, label=f"{network}, full width")
        slim = [(int(r["campaign_step"]), float(r["val_slimmest_db"])) for r in mine if r["val_slimmest_db"]]
        if slim:
            by_step.plot(*zip(*slim), "s--", color=color, alpha=0.6, label=f"{network}, width 1/8")
        timed = [r for r in mine if r["cpu_hours"]]
        by_cpu.plot([float(r["cpu_hours"]) for r in timed], [float(r["val_full_db"]) for r in timed], "-",
                    color=color, label=f"{network}, full width")
        for measured, face in (("yes", color), ("no", "white")):
            pts = [r for r in timed if r["cpu_hours_measured"] == measured]
            by_cpu.scatter([float(r["cpu_hours"]) for r in pts], [float(r["val_full_db"]) for r in pts],
                           edgecolors=color, facecolors=face, zorder=3)
    by_step.set(xlabel="campaign step (all stages)", ylabel="validation SI-SDRi [dB]",
                title="noisy validation voices, pooled over nine conditions")
    by_cpu.set(xlabel="CPU hours (open markers: estimates)", title="against CPU time")
    for ax in (by_step, by_cpu):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out.with_suffix(".png"), dpi=110)
    plt.close(fig)
    return out.with_suffix(".png")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="the curve (default: docs/figures/campaign_curve.csv)")
    p.add_argument("--add", type=Path, metavar="RUN_DIR", help="append this run folder's validations to the CSV")
    p.add_argument("--network", help="--add: the campaign network's name (e.g. conv, transformer)")
    p.add_argument("--day", type=int, help="--add: the campaign's working day the validations belong to")
    p.add_argument("--stage", default="slimmable", help="--add: the run's stage (default: slimmable)")
    p.add_argument("--steps-before", type=int, default=0, help="--add: steps of the stages before this run")
    p.add_argument("--cpu-hours-before", type=float, default=0.0,
                   help="--add: CPU hours of the stages before this run (added to its logged val/cpu_hours)")
    p.add_argument("--through-step", type=int, metavar="STEP",
                   help="--add: only the run's validations up to this step of the run (the rest belong to a later day)")
    p.add_argument("--out", type=Path, help="draw the figure to OUT.png")
    args = p.parse_args(argv)
    rows = read_rows(args.csv)
    if args.add:
        if not args.network or args.day is None:
            p.error("--add needs --network and --day")
        added = new_rows(args.add, args.network, args.day, args.stage, args.steps_before, args.cpu_hours_before, rows,
                         args.through_step)
        rows += added
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        print(f"{args.csv}: {len(added)} validation(s) added from {args.add}")
    if not rows:
        sys.exit(f"campaign_curve: {args.csv}: no curve yet (add a run with --add)")
    print("| network | day | last full-width validation [dB] | gain over the day before [dB] |")
    print("|---|---:|---:|---:|")
    for network, day, value, gain in day_gains(rows):
        print(f"| {network} | {day} | {value:+.2f} | {'' if gain is None else f'{gain:+.2f}'} |")
    print("\n| day | best full-width validation so far, any network [dB] | gain over the day before [dB] |")
    print("|---:|---:|---:|")
    for day, value, gain in best_gains(rows):
        print(f"| {day} | {value:+.2f} | {'' if gain is None else f'{gain:+.2f}'} |")
    if args.out:
        print(f"figure: {plot(rows, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
