"""How many optimizer steps a model has had, in all and per stage, across runs that continue one another.

Why: the campaign (issue 27) trains one network over many runs and machines: a full-width (static) phase continued
day after day from its landed snapshot, then stage 1 (slimmable) from that, then the gates. A model file should say
how much training it holds. ``total_steps`` counts the steps of its own stage, continued runs added; ``lineage``
lists every stage it went through, e.g. ``[{"stage": "static", "steps": 5394}, {"stage": "slimmable", "steps":
800}]``, so the model card can tell the whole history.

Both are recorded in the run folder's ``prior_steps.json`` when a run starts: the campaign lands each day's
snapshot on the very file the next run starts from, so reading ``init_from`` again later would count the run's
own steps twice.
"""
from __future__ import annotations

import json
from pathlib import Path

from slimsep.models.serialization import model_metadata
from slimsep.training.sections import TrainConfig

PRIOR_STEPS = "prior_steps.json"


def _init_metadata(cfg: TrainConfig) -> dict:
    """The metadata of ``init_from`` when it is a model file (a Lightning checkpoint has none); else {}."""
    path = Path(cfg.init_from) if cfg.init_from else None
    if path is None or path.suffix == ".ckpt" or not path.is_file():
        return {}
    return model_metadata(path)


def _steps_of(meta: dict) -> int:
    return int(meta.get("total_steps", meta.get("steps", 0)))


def prior_steps(cfg: TrainConfig) -> int:
    """Optimizer steps already in ``init_from`` when it is a model file of the same stage (a campaign continued
    from its snapshot); else 0."""
    meta = _init_metadata(cfg)
    return _steps_of(meta) if meta.get("stage") == cfg.stage else 0


def prior_lineage(cfg: TrainConfig) -> list[dict]:
    """The stages ``init_from`` went through, oldest first (its ``lineage``; older files: their own stage and
    steps); [] without a model file to start from."""
    meta = _init_metadata(cfg)
    if "lineage" in meta:
        return [dict(entry) for entry in meta["lineage"]]
    return [{"stage": meta["stage"], "steps": _steps_of(meta)}] if meta.get("stage") else []


def record_prior_steps(cfg: TrainConfig, run_dir: Path) -> None:
    """Write ``prior_steps.json`` when a run starts (a resumed run or a copied branch keeps the one it has)."""
    path = run_dir / PRIOR_STEPS
    if not path.is_file():
        path.write_text(json.dumps({"init_from": cfg.init_from, "total_steps": prior_steps(cfg),
                                    "lineage": prior_lineage(cfg)}) + "\n")


def _recorded(cfg: TrainConfig, run_dir: Path) -> dict:
    path = run_dir / PRIOR_STEPS
    return json.loads(path.read_text()) if path.is_file() else {}


def run_prior_steps(cfg: TrainConfig, run_dir: Path) -> int:
    """:func:`prior_steps` as it was when the run in ``run_dir`` started. Folders from before ``prior_steps.json``
    existed fall back to ``init_from``."""
    recorded = _recorded(cfg, run_dir)
    return int(recorded["total_steps"]) if "total_steps" in recorded else prior_steps(cfg)


def run_lineage(cfg: TrainConfig, run_dir: Path, steps: int) -> list[dict]:
    """The model's stage history after ``steps`` steps of this run: the history recorded when it started, with
    this run's steps added to its last entry when the stage continues, or appended as a new entry."""
    recorded = _recorded(cfg, run_dir)
    if "lineage" in recorded:
        lineage = [dict(e) for e in recorded["lineage"]]
    elif "total_steps" in recorded:  # a folder from before the lineage: only its own stage's steps are known
        lineage = [{"stage": cfg.stage, "steps": int(recorded["total_steps"])}] if recorded["total_steps"] else []
    else:
        lineage = prior_lineage(cfg)
    if lineage and lineage[-1]["stage"] == cfg.stage:
        lineage[-1]["steps"] = int(lineage[-1]["steps"]) + steps
    else:
        lineage.append({"stage": cfg.stage, "steps": steps})
    return lineage


def step_counts(cfg: TrainConfig, run_dir: Path, steps: int) -> dict:
    """The step metadata of a model file after ``steps`` steps of the run in ``run_dir``."""
    return {"steps": steps, "total_steps": run_prior_steps(cfg, run_dir) + steps,
            "lineage": run_lineage(cfg, run_dir, steps)}
