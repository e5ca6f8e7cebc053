"""Ship a trained model inside the package: ``slimsep/pretrained/<name>.pt`` with float16 weights.

The shipped file keeps the full model config, the training recipe and command, a description of the data it was
trained on and its measured test results, so ``slimsep separate`` users can see what they run; ``<name>.md``
beside it is the model card, written from the same metadata. Maintainers only:

    python scripts/ship_model.py runs/small_gate_l4/model.pt --name default --results runs/report/summary.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from slimsep.atomic import write_text_atomic
from slimsep.data.sources.voices import ATTRIBUTIONS
from slimsep.inference.pretrained import pretrained_dir
from slimsep.models import load_model, save_model
from slimsep.models.serialization import load_model_and_metadata
from slimsep.portable import portable
from slimsep.training.lineage import describe_lineage


def results_for(summary_path: Path, label_prefix: str) -> dict:
    """The evaluation summary's entries for this model's operating points (labels start with its run name)."""
    summary = json.loads(summary_path.read_text())
    return {label: per for label, per in summary.items() if label.startswith(label_prefix + " ")}


def data_description(recipe: dict) -> dict:
    """The open corpus summary (hours and speakers per split) when the training data root still holds it."""
    root = Path(str(recipe.get("data", {}).get("root", "")))
    summary = root / "summary.json"
    info = json.loads(summary.read_text()) if summary.is_file() else {}
    voices = info.get("voices", {})
    return {"corpus": recipe.get("data", {}).get("corpus"), "task": recipe.get("data", {}).get("task"),
            "version": info.get("version", 2 if info else None),
            "splits": {k: {"hours": round(v["hours"], 3), "speakers": sorted(v["speakers"])}
                       for k, v in info.get("splits", {}).items()},
            "voices_licences": voices.get("licences", {})}


def speakers_line(split: str, info: dict) -> str:
    """One split of the card's data list: every speaker where there are few, counts per source where many."""
    names = info["speakers"]
    if len(names) > 40:
        sources: dict[str, int] = {}
        for name in names:
            source = next((v for v in ATTRIBUTIONS if name.startswith(v + "_")), name.split("_")[0])
            sources[source] = sources.get(source, 0) + 1
        return (f"- {split}: {info['hours']:.2f} h, {len(names)} speakers ("
                + ", ".join(f"{n} {k}" for k, n in sorted(sources.items(), key=lambda kv: -kv[1])) + ")")
    return (f"- {split}: {info['hours']:.2f} h, {len(names)} speakers "
            f"({', '.join(s for s in names if not s.startswith('fotaq_P'))}"
            f"{' and FOTAQ voices' if any(s.startswith('fotaq_P') for s in names) else ''})")


def attribution_lines(data: dict) -> list[str]:
    """The card's attribution section: what the licences of the voices folder's corpora require."""
    sources = data.get("voices_licences", {})
    if not sources:
        return []
    return ["", "## Attributions", "", "Trained on speech from these corpora (the voices folder, docs/data.md):", "",
            *("- " + ATTRIBUTIONS.get(source, f"{source} ({', '.join(licences)})")
              for source, licences in sources.items()),
            "- Debian packages' voices: see docs/data.md for each package and licence."]


def portable_metadata(meta: dict, network: str) -> dict:
    """The file's metadata as users read it: the training machine's folders written as README's ``runs/`` and
    ``corpus``, and, where the network came from ``init_from``, the recipe's unused ``model`` entry (the config's
    default, e.g. ``tiny``) replaced by the network's own name."""
    recipe = dict(meta.get("recipe", {}))
    if recipe.get("data", {}).get("root") is not None:
        recipe["data"] = {**recipe["data"], "root": portable(str(recipe["data"]["root"]))}
    if recipe.get("init_from"):
        recipe["init_from"] = portable(str(recipe["init_from"]))
        recipe["model"] = {"name": network, "overrides": {}}
    return {**meta, "recipe": recipe, "command": portable(meta.get("command", ""))}


def training_history(meta: dict) -> list[str]:
    """The card's line on the steps of every stage (the file's ``lineage``, slimsep.training.lineage); none for
    files from before it."""
    stages = meta.get("lineage") or []
    return ["", f"Training history, every stage in order: {describe_lineage(stages)}."] if stages else []


def architecture(cfg: dict) -> str:
    """The separator in a phrase: blocks, width, the layer types inside and across chunks, widths, sample rate."""
    def layers(kind: str, n: int) -> str:
        if kind == "conv":
            return f"{n} conv layers (kernel {cfg.get('conv_kernel')})"
        if kind == "lstm":
            return f"{n} BiLSTM layers"
        return f"{n} transformer layers ({cfg['n_heads']} heads)"
    return (f"{cfg['n_blocks']} dual-path blocks, D={cfg['d_model']}; intra-chunk "
            f"{layers(cfg.get('intra_type', 'transformer'), cfg.get('intra_layers', 1))}, inter-chunk "
            f"{layers(cfg.get('inter_type', 'transformer'), cfg.get('inter_layers', 1))}; widths {cfg['widths']}, "
            f"{cfg['sample_rate']} Hz")


def gate_loss(gate: dict) -> str:
    """What the gates were trained with: the complexity loss or the regret objective (``gate.objective``), in its
    budget form (a target mean width) or with lambda alone."""
    what = ("the regret objective (each width's measured per-chunk SI-SDR loss)" if gate.get("objective") == "regret"
            else "the complexity loss")
    if gate.get("target_cost") is not None:
        return (f"{what} in its budget form (target mean relative width {gate['target_cost']}, "
                f"lambda = {gate.get('lambda')})")
    return f"{what}, lambda = {gate.get('lambda')}"


def model_card(name: str, meta: dict, cfg: dict, notes: str = "") -> str:
    """Markdown: what the model is, what it was trained on, how it scored, how to rebuild it."""
    recipe = meta.get("recipe", {})
    lines = [f"# Shipped model `{name}`", "",
             f"`{cfg['name']}` DSN ({architecture(cfg)}), gates trained with {gate_loss(recipe.get('gate', {}))} on "
             f"top of the stage-1 network `{portable(str(recipe.get('init_from')))}`.", "",
             f"Training command of the last stage: `{portable(meta.get('command', ''))}` ({meta.get('steps')} steps); "
             f"full pipeline: `{meta['reproduce']}`.", *training_history(meta), "", "## Data", "",
             f"Open corpus (`slimsep data open-corpus`), task `{meta['data']['task']}`; speakers per split:", ""]
    for split, info in sorted(meta["data"]["splits"].items()):
        if split.startswith("speech_"):
            lines.append(speakers_line(split.removeprefix("speech_"), info))
    lines += attribution_lines(meta["data"])
    counts = sorted({int(per["all"]["n"]) for per in meta.get("test_results", {}).values() if "n" in per["all"]})
    lines += ["", "## Test results (held-out speakers, all nine conditions pooled)", "",
              f"{'/'.join(map(str, counts)) or 'All'} mixtures, each of two talkers from the test split's held-out "
              "voices, overlap 100/50/25 % x noise activity 0/50/100 % (na0 is the clean mixture), one CPU thread "
              "per evaluation.", "",
              "| operating point | SI-SDRi [dB] | SDRi [dB] | GMAC/s | CPU ms/s |", "|---|---:|---:|---:|---:|"]
    for label, per in meta.get("test_results", {}).items():
        a = per["all"]
        lines.append(f"| {label} | {a['si_sdri']:.2f} | {a.get('sdri', float('nan')):.2f} | {a['gmac_per_s']:.3f} | "
                     f"{a.get('ms_per_s', float('nan')):.1f} |")
    lines += ["", "Per-condition tables and the trade-off plot: docs/results.md.", ""]
    if notes:
        lines += ["## Training notes", "", notes.strip(), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="model.pt written by slimsep train")
    parser.add_argument("--name", default="default", help="shipped name (slimsep separate --model NAME)")
    parser.add_argument("--results", type=Path, help="summary.json written by slimsep evaluate")
    parser.add_argument("--notes", type=Path, help="Markdown for the card: how the earlier stages ran")
    parser.add_argument("--reproduce", default="scripts/reproduce_default.sh",
                        help="the script that rebuilds this model (named in the card and the file's metadata)")
    args = parser.parse_args()

    model, meta = load_model_and_metadata(args.model)
    meta["data"] = data_description(meta.get("recipe", {}))
    if args.results:
        meta["test_results"] = results_for(args.results, args.model.parent.name)
    meta["reproduce"] = args.reproduce
    meta = portable_metadata(meta, model.cfg.name)
    target = save_model(model, pretrained_dir() / f"{args.name}.pt", metadata=meta, half=True)
    notes = args.notes.read_text() if args.notes else ""
    write_text_atomic(target.with_suffix(".md"), model_card(args.name, meta, model.cfg.to_dict(), notes))

    shipped = load_model(target)
    x = torch.randn(1, 4 * model.cfg.sample_rate) * 0.1
    with torch.inference_mode():
        full, half = model(x).estimates, shipped(x).estimates
    err = float((full - half).pow(2).sum() / full.pow(2).sum().clamp(min=1e-12))
    change = (f"float16 weights change the output by {10 * torch.log10(torch.tensor(err)).item():.1f} dB relative "
              "error" if err > 0 else "float16 storage leaves the output unchanged")
    print(f"{target}: {target.stat().st_size / 1e6:.2f} MB; {change}")


if __name__ == "__main__":
    main()
