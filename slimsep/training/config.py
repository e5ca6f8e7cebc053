"""Training configuration: YAML files in ``configs/`` merged over the defaults, plus ``key.sub=value`` overrides.

Merging and overriding work on plain nested dicts (the form YAML, ``--set`` and model files share); the result is
checked and returned as the typed, frozen :class:`~slimsep.training.sections.TrainConfig`.
"""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import yaml

from slimsep.errors import SlimsepError
from slimsep.threads import valid_threads
from slimsep.training.sections import TrainConfig, check_known, check_section, nearest
from slimsep.yaml_file import read_yaml


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
    real one while the run goes ahead with the default. The sections' keys and types are TrainConfig's fields,
    ``data`` keys those of the chosen corpus's builder, ``model.overrides`` the ModelConfig fields. Raises
    SlimsepError naming the key and the nearest valid one."""
    check_section(cfg, TrainConfig, where)
    check_free_keys(cfg, where)


def check_free_keys(cfg: dict, where: str = "") -> None:
    """The keys TrainConfig's fields do not fix: ``model.overrides`` (ModelConfig fields) and ``data`` (the chosen
    corpus's builder). Raises SlimsepError naming the key and the nearest valid one."""
    from slimsep.data import BUILDER_KEYS
    from slimsep.models.config import ModelConfig

    model_fields = {f.name: None for f in dataclasses.fields(ModelConfig) if f.name != "name"}
    check_known((cfg.get("model") or {}).get("overrides") or {}, model_fields, "model.overrides.", where)
    data = cfg.get("data") or {}
    if where and "corpus" not in data:
        return  # a file's data keys are checked once merged, against the corpus an override may still choose
    corpus = data.get("corpus", TrainConfig().data["corpus"])
    if corpus not in BUILDER_KEYS:
        raise SlimsepError(f"{where}data.corpus {corpus!r}: unknown corpus{nearest(str(corpus), BUILDER_KEYS)}; "
                           f"choose from {', '.join(sorted(BUILDER_KEYS))}")
    check_known(data, dict.fromkeys(BUILDER_KEYS[corpus]), "data.", where, f" (corpus {corpus})")


def _parse_value(text: str) -> Any:
    """YAML scalar parsing, plus ``3e-3``-style floats that YAML 1.1 reads as strings."""
    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Defaults <- YAML file <- overrides, validated."""
    cfg = TrainConfig().to_dict()
    if path is not None:
        path = Path(path)
        loaded = read_yaml(path)
        if not isinstance(loaded, dict):
            raise SlimsepError(f"{path}: expected a mapping at the top level")
        check_keys(loaded, where=f"{path}: ")
        cfg = merge(cfg, loaded)
    for assignment in overrides or []:
        apply_override(cfg, assignment)
    typed = TrainConfig.from_dict(cfg)  # checks the sections' keys and types once
    check_free_keys(cfg)
    valid_threads(typed.trainer.threads, "trainer.threads")  # torch answers -1 with a traceback, mid-start
    return typed


def _flat(tree: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_differences(saved: dict, cfg: TrainConfig) -> list[str]:
    """``key (saved value -> this value)`` for every entry where ``cfg`` differs from a run's saved ``config.yaml``.

    Why: ``--resume`` takes the config it is given, not the folder's, so a resume that forgets the run's ``--set``
    options silently trains on other data (or fails on a default ``data.root``); the caller says which keys moved.
    """
    old, new = _flat(saved), _flat(cfg.to_dict())
    return [f"{k} ({old.get(k)!r} -> {new.get(k)!r})" for k in sorted(old.keys() | new.keys())
            if str(old.get(k)) != str(new.get(k))]
