"""How many optimizer steps a model has had, in all and per stage, across runs that continue one another.

Why: the campaign (issue 27) trains one network over many runs and machines: a full-width (static) phase continued
day after day from its landed snapshot, then stage 1 (slimmable) from that, then the gates. A model file should say
how much training it holds. ``total_steps`` counts the steps of its own stage, continued runs added; ``lineage``
lists every stage it went through, e.g. ``[{"stage": "static", "steps": 5394}, {"stage": "slimmable", "steps":
800}]``, so the model card can tell the whole history.

The lineage of ``init_from`` is recorded in the run folder's ``prior_steps.json`` when a run starts: the campaign
lands each day's snapshot on the very file the next run starts from, so reading ``init_from`` again later would
count the run's own steps twice.
"""
from __future__ import annotations

import json
from pathlib import Path

from slimsep.models.serialization import model_metadata
from slimsep.training.sections import TrainConfig

PRIOR_STEPS = "prior_steps.json"


def _init_lineage(cfg: TrainConfig) -> list[dict]:
    """The stages ``init_from`` went through, oldest first: its ``lineage``, or for older model files their own
    stage and steps; [] without a model file to start from (none, or a Lightning checkpoint)."""
    path = Path(cfg.init_from) if cfg.init_from else None
    if path is None or path.suffix == ".ckpt" or not path.is_file():
        return []
    meta = model_metadata(path)
    if "lineage" in meta:
        return [dict(entry) for entry in meta["lineage"]]
    steps = int(meta.get("total_steps", meta.get("steps", 0)))
    return [{"stage": meta["stage"], "steps": steps}] if meta.get("stage") else []


def record_prior_steps(cfg: TrainConfig, run_dir: Path) -> None:
    """Write ``prior_steps.json`` when a run starts (a resumed run or a copied branch keeps the one it has)."""
    path = run_dir / PRIOR_STEPS
    if not path.is_file():
        path.write_text(json.dumps({"init_from": cfg.init_from, "lineage": _init_lineage(cfg)}) + "\n")


def _prior_lineage(cfg: TrainConfig, run_dir: Path) -> list[dict]:
    """The lineage recorded when the run in ``run_dir`` started. Folders from before the lineage recorded only the
    steps of their own stage (``total_steps``); folders from before ``prior_steps.json`` fall back to ``init_from``."""
    path = run_dir / PRIOR_STEPS
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    if "lineage" in recorded:
        return [dict(entry) for entry in recorded["lineage"]]
    if "total_steps" in recorded:
        return [{"stage": cfg.stage, "steps": int(recorded["total_steps"])}] if recorded["total_steps"] else []
    return _init_lineage(cfg)


def step_counts(cfg: TrainConfig, run_dir: Path, steps: int) -> dict:
    """The step metadata of a model file after ``steps`` steps of the run in ``run_dir``: ``lineage`` (this run's
    steps added to the last recorded entry when the stage continues, else appended as a new entry) and
    ``total_steps``, the steps of this stage in all, which is that last entry."""
    lineage = _prior_lineage(cfg, run_dir)
    if lineage and lineage[-1]["stage"] == cfg.stage:
        lineage[-1]["steps"] = int(lineage[-1]["steps"]) + steps
    else:
        lineage.append({"stage": cfg.stage, "steps": steps})
    return {"steps": steps, "total_steps": lineage[-1]["steps"], "lineage": lineage}


def describe_lineage(lineage: list[dict]) -> str:
    """``static 5,394 steps, then slimmable 800 steps``: a lineage as words (the model card, ``slimsep snapshot``)."""
    return ", then ".join(f"{entry['stage']} {int(entry['steps']):,} steps" for entry in lineage)
