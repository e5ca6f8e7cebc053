"""Tables and the trade-off plot from per-utterance rows."""
from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from slimsep.atomic import atomic_path, write_json_atomic, write_text_atomic
from slimsep.data.conditions import condition_order
from slimsep.errors import SlimsepError
from slimsep.evaluation.points import model_of

METRICS = ("si_sdri", "sdri", "siri", "sar", "gmac_per_s", "ms_per_s")


def write_rows_csv(rows: list[dict], path: Path) -> Path:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return write_text_atomic(path, buffer.getvalue())


def summarise(rows: list[dict]) -> dict[str, dict[str, dict[str, float]]]:
    """point -> condition (and "all") -> mean of each metric over the scored items, their count ``n`` and the count
    of ``excluded`` (degenerate) items."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["point"], row["condition"])].append(row)
        groups[(row["point"], "all")].append(row)
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (point, condition), members in groups.items():
        scored = [r for r in members if not r.get("excluded")]
        out[point][condition] = {m: float(np.mean([r[m] for r in scored])) for m in METRICS
                                 if scored and m in scored[0]}
        out[point][condition].update(n=len(scored), excluded=len(members) - len(scored))
    return dict(out)


def excluded_items(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(condition, id, reason) of each degenerate item, once even when several points met it."""
    return list(dict.fromkeys((r["condition"], r["id"], r["excluded"]) for r in rows if r.get("excluded")))


def markdown_table(summary: dict, metric: str = "si_sdri", with_gmac: bool = True) -> str:
    """One row per operating point, one column per condition, cells ``metric / GMAC/s`` (or ``metric`` alone)."""
    conditions = sorted({c for per in summary.values() for c in per if c != "all"}, key=condition_order) + ["all"]
    lines = [f"| operating point | {' | '.join(conditions)} |", "|---|" + "---:|" * len(conditions)]
    for point, per in summary.items():
        cells = [(f"{per[c][metric]:.2f} / {per[c]['gmac_per_s']:.3f}" if with_gmac else f"{per[c][metric]:.1f}")
                 if c in per and metric in per[c] else "-" for c in conditions]
        lines.append(f"| {point} | {' | '.join(cells)} |")
    return "\n".join(lines)


def write_summary(summary: dict, kinds: dict[str, str], out_dir: Path,
                  excluded: list[tuple[str, str, str]] | None = None) -> None:
    """``summary.json``, ``points.json`` (label -> kind, for merging reports later) and ``summary.md`` (which names
    the ``excluded`` items: (condition, id, reason))."""
    write_json_atomic(out_dir / "summary.json", summary, indent=2)
    write_json_atomic(out_dir / "points.json", kinds, indent=2)
    parts = ["# slimsep evaluation", "", "Cells: mean SI-SDRi [dB] / GMAC per second of audio.", "",
             markdown_table(summary, "si_sdri")]
    if any("sdri" in per.get("all", {}) for per in summary.values()):
        parts += ["", "Cells: mean SDRi [dB] / GMAC per second of audio.", "", markdown_table(summary, "sdri")]
    if any("ms_per_s" in per.get("all", {}) for per in summary.values()):
        parts += ["", "Cells: measured CPU milliseconds per second of audio (mean over utterances, whole forward "
                  "pass including the gates).", "", markdown_table(summary, "ms_per_s", with_gmac=False)]
    if excluded:
        parts += ["", f"Left out of every mean ({len(excluded)} degenerate items, nothing to separate or to score):",
                  "", "| condition | item | reason |", "|---|---|---|"]
        parts += [f"| {c} | {i} | {why} |" for c, i, why in excluded]
    write_text_atomic(out_dir / "summary.md", "\n".join(parts) + "\n")


def load_reports(folders: list[Path]) -> tuple[dict, dict[str, str], dict[str, str]]:
    """Merge report folders: (summary, kind per label, folder name per label); a later folder's label wins.

    Why: models evaluated at different times (or no longer at hand) still share one table and one plot; the folder
    name tells which rows were timed on the same machine.
    """
    summary: dict = {}
    kinds: dict[str, str] = {}
    origins: dict[str, str] = {}
    for folder in folders:
        paths = [folder / "summary.json", folder / "points.json"]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise SlimsepError(f"{folder}: not a slimsep evaluate report (missing {', '.join(missing)})")
        part, part_kinds = (json.loads(p.read_text()) for p in paths)
        unknown = sorted(set(part) - set(part_kinds))
        if unknown:
            raise SlimsepError(f"{folder}: points.json does not name the kind of {', '.join(unknown)}")
        summary.update(part)
        kinds.update({label: part_kinds[label] for label in part})
        origins.update({label: folder.name for label in part})
    return summary, kinds, origins


def tradeoff_curves(summary: dict, kinds: dict[str, str], condition: str = "all") -> dict[tuple[str, str], list]:
    """(kind, model) -> [(GMAC/s, SI-SDRi, label), ...] sorted by GMAC/s. Static networks trained alone form one
    curve together (model ``""``); the gated and fixed-width points of each DSN or slimmable model form their own,
    so two models' points are never joined by a line."""
    curves: dict[tuple[str, str], list] = defaultdict(list)
    for name, per in summary.items():
        row = per.get(condition, {})
        if "si_sdri" in row:
            model = "" if kinds[name] == "static" else model_of(name)
            curves[(kinds[name], model)].append((row["gmac_per_s"], row["si_sdri"], name))
    return {key: sorted(points) for key, points in curves.items()}


def tradeoff_plot(summary: dict, kinds: dict[str, str], path: Path, condition: str = "all") -> Path:
    """SI-SDRi against GMAC/s: one curve for the individually trained static networks, and per model one for its
    DSN operating points and one for the slimmable network at fixed widths (``kinds``: label -> "dsn" |
    "slimmable" | "static")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6), dpi=120)
    styles = {"static": ("s--", "static networks (trained at one width)"),
              "slimmable": ("^:", "slimmable network at one width"), "dsn": ("o-", "DSN (gated)")}
    curves = tradeoff_curves(summary, kinds, condition)
    models = sorted({model for _, model in curves})
    colours = {model: f"C{i}" for i, model in enumerate(models)}
    for (kind, model), points in sorted(curves.items(), key=lambda kv: (list(styles).index(kv[0][0]), kv[0][1])):
        xs, ys, _ = zip(*points)
        style, legend = styles[kind]
        ax.plot(xs, ys, style, color=colours[model], label=f"{legend}: {model}" if model else legend)
        for x, y, name in points:
            text = name if kind == "static" else name[len(model):].strip()
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel("GMAC per second of audio")
    ax.set_ylabel("SI-SDRi [dB]")
    ax.set_title(f"Quality vs compute ({condition})")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # no point had a finite score (every item left out): no legend to draw
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.14))  # below the axes: never over a point
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path, ".tmp.png") as tmp:
            fig.savefig(tmp, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
