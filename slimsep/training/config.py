"""Training configuration: YAML files in ``configs/`` merged over these defaults, plus ``key.sub=value`` overrides.

A plain nested dict (not a dataclass) because the ``data`` section is passed verbatim to
:func:`slimsep.data.build_dataset`, whose keys depend on the corpus.
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
from pathlib import Path
from typing import Any

import yaml

from slimsep.errors import SlimsepError
from slimsep.yaml_file import read_yaml

STAGES = ("slimmable", "gate", "static")

DEFAULTS: dict[str, Any] = {
    "stage": "slimmable",
    "seed": 0,
    "model": {"name": "tiny", "overrides": {}},
    "init_from": None,  # a model file or checkpoint to start from (required for stage "gate")
    "data": {"corpus": "synthetic"},
    # num_workers "auto": run.data_workers (several on a GPU, where loading must keep up; none on a small CPU box)
    "loader": {"batch_size": 4, "num_workers": "auto"},
    # schedule_by_time: the cosine decay follows max(step / max_steps, elapsed / trainer.max_time), so a run
    # stopped by a wall-clock budget still ends at the low learning rate.
    "optim": {"lr": 1e-3, "weight_decay": 0.0, "clip": 5.0, "warmup_steps": 100, "min_lr_ratio": 0.05,
              "schedule_by_time": False, "fused": "auto"},  # fused: the fused AdamW kernel (module._fused)
    "sandwich": {"random_widths": 1, "whole_widths": 0, "distill": 0.0, "distill_cap_db": 20.0},
    "gate": {"lambda": 0.1, "q0": 8.0, "q_scale": 2.0, "target_cost": None, "tau_start": 1.0, "tau_end": 0.3,
             "separator_lr": 0.0, "widths": None},  # widths: a subset of init_from's for the gates to choose from
    "static": {"width": 1.0},
    "trainer": {"max_steps": 1000, "max_time": None, "val_check_interval": 200, "limit_val_batches": 1.0,
                "accelerator": "cpu", "devices": 1, "num_nodes": 1, "strategy": "auto", "precision": "auto",
                "threads": None, "log_every_n_steps": 10, "checkpoint_every_n_steps": 50, "save_top_k": 2,
                "enable_progress_bar": True, "compile": False},  # precision "auto": run.resolve_precision
}


def merge(base: dict, update: dict) -> dict:
    """Recursive dict merge; ``update`` wins."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def apply_override(cfg: dict, assignment: str) -> None:
    """``trainer.max_steps=50`` -> cfg["trainer"]["max_steps"] = 50 (value parsed as YAML)."""
    if "=" not in assignment:
        raise SlimsepError(f"override {assignment!r} must look like key.sub=value")
    key, value = assignment.split("=", 1)
    *parents, leaf = key.split(".")
    node = cfg
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise SlimsepError(f"override {assignment!r}: {part!r} is not a section")
    node[leaf] = _parse_value(value)


def check_keys(cfg: dict, where: str = "") -> None:
    """Every key must be one the code reads: a misspelt one (``trainer.max_step``) would otherwise sit beside the
    real one while the run goes ahead with the default. ``data`` keys are those of the chosen corpus's builder,
    ``model.overrides`` the ModelConfig fields. Raises SlimsepError naming the key and the nearest valid one."""
    from slimsep.data import BUILDER_KEYS
    from slimsep.models.config import ModelConfig

    _check_level(cfg, DEFAULTS, "", where)
    for section in (k for k, v in DEFAULTS.items() if isinstance(v, dict) and k in cfg and k != "data"):
        _check_level(cfg[section], DEFAULTS[section], f"{section}.", where)
    model_fields = {f.name: None for f in dataclasses.fields(ModelConfig) if f.name != "name"}
    _check_level((cfg.get("model") or {}).get("overrides") or {}, model_fields, "model.overrides.", where)
    data = cfg.get("data") or {}
    if where and "corpus" not in data:
        return  # a file's data keys are checked once merged, against the corpus an override may still choose
    corpus = data.get("corpus", DEFAULTS["data"]["corpus"])
    if corpus not in BUILDER_KEYS:
        raise SlimsepError(f"{where}data.corpus {corpus!r}: unknown corpus{_nearest(str(corpus), BUILDER_KEYS)}; "
                           f"choose from {', '.join(sorted(BUILDER_KEYS))}")
    _check_level(data, dict.fromkeys(BUILDER_KEYS[corpus]), "data.", where, f" (corpus {corpus})")


def _check_level(given: object, valid: dict, prefix: str, where: str, context: str = "") -> None:
    if not isinstance(given, dict):
        raise SlimsepError(f"{where}config entry '{prefix.rstrip('.')}' must be a section (key: value pairs)")
    for key in given:
        if key not in valid:
            hint = _nearest(str(key), valid, prefix) or f"; valid: {', '.join(sorted(map(str, valid)))}"
            raise SlimsepError(f"{where}unknown config key '{prefix}{key}'{context}{hint}")


def _nearest(key: str, valid: object, prefix: str = "") -> str:
    """``; did you mean 'x'?`` for the closest valid name (difflib), or nothing."""
    match = difflib.get_close_matches(key, [str(v) for v in valid], n=1, cutoff=0.5)
    return f"; did you mean '{prefix}{match[0]}'?" if match else ""


def _parse_value(text: str) -> Any:
    """YAML scalar parsing, plus ``3e-3``-style floats that YAML 1.1 reads as strings."""
    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> dict:
    """Defaults <- YAML file <- overrides, validated."""
    cfg = copy.deepcopy(DEFAULTS)
    if path is not None:
        path = Path(path)
        loaded = read_yaml(path)
        if not isinstance(loaded, dict):
            raise SlimsepError(f"{path}: expected a mapping at the top level")
        check_keys(loaded, where=f"{path}: ")
        cfg = merge(cfg, loaded)
    for assignment in overrides or []:
        apply_override(cfg, assignment)
    check_keys(cfg)
    if cfg["stage"] not in STAGES:
        raise SlimsepError(f"stage must be one of {', '.join(STAGES)}, got {cfg['stage']!r}")
    if cfg["stage"] == "gate" and not cfg["init_from"]:
        raise SlimsepError("stage 'gate' needs init_from: a stage-1 (slimmable) model file or checkpoint")
    return cfg
