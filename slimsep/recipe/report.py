"""The returned files of a GPU recipe call: models, SI-SDRi per width, learning curves, a compact log."""
from __future__ import annotations

import csv
import json
import os
import shutil
import time
from pathlib import Path

import torch

from slimsep.atomic import write_text_atomic
from slimsep.losses import pit_si_sdr, si_sdr
from slimsep.models import DSN, ModelConfig, load_model, save_model

MAX_FILE_MIB = 15.5


class Log:
    """Timestamped lines to stdout and to ``OUT/log.txt`` (flushed, so a killed call still returns them)."""

    def __init__(self, path: Path, t0: float) -> None:
        self.path, self.t0 = path, t0
        path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, message: str) -> None:
        line = f"[{time.time() - self.t0:6.1f}s] {message}"
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


def write_json(path: Path, data: dict) -> None:
    """``data`` as JSON (values JSON lacks written as strings), atomically."""
    write_text_atomic(path, json.dumps(data, indent=1, default=str))


def model_file(run_dir: Path) -> Path | None:
    """``model.pt`` of a run, or one exported from its best (else last) checkpoint when the run was cut short."""
    if (run_dir / "model.pt").is_file():
        return run_dir / "model.pt"
    ckpts = sorted((run_dir / "checkpoints").glob("best-*.ckpt")) or sorted((run_dir / "checkpoints").glob("last*.ckpt"))
    if not ckpts:
        return None
    ckpt = torch.load(ckpts[-1], map_location="cpu", weights_only=True)
    model = DSN(ModelConfig.from_dict(ckpt["hyper_parameters"]["model_config"]))
    model.load_state_dict({k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()})
    meta = {"stage": ckpt["hyper_parameters"]["train_config"]["stage"], "from_checkpoint": ckpts[-1].name,
            "steps": ckpt.get("global_step")}
    return save_model(model, run_dir / "model.pt", metadata=meta)


def copy_model(path: Path, dest: Path) -> None:
    """Copy a model file, stored in float16 if it would pass the size limit of a returned file."""
    shutil.copy2(path, dest)
    if dest.stat().st_size / 2**20 > MAX_FILE_MIB:
        save_model(load_model(path), dest, metadata=torch.load(path, weights_only=True)["metadata"], half=True)
    os.chmod(dest, 0o644)


def eval_widths(model: DSN, stage: str, recipe: dict) -> list[float | None]:
    if stage == "static":
        return [float(recipe.get("static", {}).get("width", 1.0))]
    if stage == "gate":
        return [None]
    return sorted(model.cfg.widths, reverse=True)


@torch.inference_mode()
def evaluate(path: Path, sets: dict[str, list], device: str, deadline: float) -> dict:
    """Mean SI-SDRi [dB] per width (``gates`` for a gated model) on each named set of (mix, sources) pairs."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    stage = payload["metadata"].get("stage", "slimmable")
    model = load_model(path).to(device).eval()
    out: dict = {}
    for width in eval_widths(model, stage, payload["metadata"].get("recipe", {})):
        key = "gates" if width is None else f"{width:g}"
        for set_name, items in sets.items():
            scores = []
            for mix, ref in items:
                if time.time() > deadline:
                    out["incomplete"] = True
                    return out
                scores.append(_improvement(model, mix.to(device), ref.to(device), width))
            out.setdefault(set_name, {})[key] = round(sum(scores) / len(scores), 3)
    return out


def _improvement(model: DSN, mix: torch.Tensor, ref: torch.Tensor, width: float | None) -> float:
    est = model(mix[None], width).estimates.float()
    score, _ = pit_si_sdr(est, ref[None])
    base = si_sdr(mix[None, None].expand_as(ref[None]), ref[None]).mean(-1)
    return float((score - base).mean())


def curves(run_dirs: dict[str, Path], dest: Path) -> int:
    """Validation SI-SDRi per step of every run (``logs/version_*/metrics.csv``) into one CSV; returns rows."""
    rows = []
    for name, run_dir in run_dirs.items():
        for metrics in sorted(run_dir.glob("logs/version_*/metrics.csv")):
            with open(metrics, newline="") as f:
                for r in csv.DictReader(f):
                    if r.get("val/si_sdri"):
                        rows.append({"run": name, "step": r.get("step", ""), "val_si_sdri": r["val/si_sdri"],
                                     "val_si_sdri_slimmest": r.get("val/si_sdri_slimmest", "")})
    with open(dest, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["run", "step", "val_si_sdri", "val_si_sdri_slimmest"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def steps_done(run_dir: Path) -> int:
    """The last logged step of a run (0 if none)."""
    steps = [0]
    for metrics in run_dir.glob("logs/version_*/metrics.csv"):
        with open(metrics, newline="") as f:
            steps += [int(r["step"]) for r in csv.DictReader(f) if r.get("step", "").isdigit()]
    return max(steps)
