"""Ship a trained model inside the package: ``slimsep/pretrained/<name>.pt`` with float16 weights.

The shipped file keeps the full model config, the training recipe and command, a description of the data it was
trained on and its measured test results, so ``slimsep separate`` users can see what they run. Maintainers only:

    python scripts/ship_model.py runs/small_gate_l3/model.pt --name default --results runs/report/summary.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from slimsep.inference.pretrained import pretrained_dir
from slimsep.models import load_model, save_model
from slimsep.models.serialization import model_metadata


def results_for(summary_path: Path, label_prefix: str) -> dict:
    """The evaluation summary's entries for this model's operating points (labels start with its run name)."""
    summary = json.loads(summary_path.read_text())
    return {label: per for label, per in summary.items() if label.startswith(label_prefix + " ")}


def data_description(recipe: dict) -> dict:
    """The open corpus summary (hours and speakers per split) when the training data root still holds it."""
    root = Path(str(recipe.get("data", {}).get("root", "")))
    summary = root / "summary.json"
    info = json.loads(summary.read_text()) if summary.is_file() else {}
    return {"corpus": recipe.get("data", {}).get("corpus"), "task": recipe.get("data", {}).get("task"),
            "splits": {k: {"hours": round(v["hours"], 3), "speakers": sorted(v["speakers"])}
                       for k, v in info.get("splits", {}).items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="model.pt written by slimsep train")
    parser.add_argument("--name", default="default", help="shipped name (slimsep separate --model NAME)")
    parser.add_argument("--results", type=Path, help="summary.json written by slimsep evaluate")
    args = parser.parse_args()

    model, meta = load_model(args.model), model_metadata(args.model)
    meta["data"] = data_description(meta.get("recipe", {}))
    if args.results:
        meta["test_results"] = results_for(args.results, args.model.parent.name)
    meta["reproduce"] = "scripts/reproduce_default.sh"
    target = save_model(model, pretrained_dir() / f"{args.name}.pt", metadata=meta, half=True)

    shipped = load_model(target)
    x = torch.randn(1, 4 * model.cfg.sample_rate) * 0.1
    with torch.inference_mode():
        full, half = model(x).estimates, shipped(x).estimates
    err = float((full - half).pow(2).sum() / full.pow(2).sum().clamp(min=1e-12))
    print(f"{target}: {target.stat().st_size / 1e6:.2f} MB; float16 weights change the output by "
          f"{10 * torch.log10(torch.tensor(err + 1e-20)).item():.1f} dB relative error")


if __name__ == "__main__":
    main()
