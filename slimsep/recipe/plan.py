"""The plan of a GPU recipe call: which runs, with which configs, in which share of the time budget.

A YAML file (``configs/gpu/plan.yaml``) so the runs can change without code changes::

    batch_size: 64          # every run's loader.batch_size
    segment: 3.0            # seconds per training mixture
    overrides: []           # `key=value` for every run, before the run's own
    eval_limit: null        # evaluate on the first N validation / training-voice mixtures (null: all)
    runs:
      - {name: static_1, config: configs/small_open_static.yaml, overrides: [static.width=1.0], until: 0.5}
      - {name: stage1, config: configs/small_open_slimmable.yaml, init_from: static_1}

A run without ``init_from`` starts at once; one with it starts when that run has finished. ``until`` (default 1)
is the share of the training window by which the run must end. All started runs share the GPU.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


from slimsep.errors import SlimsepError
from slimsep.yaml_file import read_yaml

MAX_RUNS = 5  # at most 8 returned files: one model per run plus metrics.json, curves.csv and log.txt
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
DEFAULTS = {"batch_size": 64, "segment": 3.0, "max_steps": 100_000, "val_check_interval": 250,
            "checkpoint_every_n_steps": 250, "eval_reserve_s": 45.0, "eval_limit": None, "overrides": []}


@dataclass
class RunSpec:
    name: str
    config: str
    overrides: list[str] = field(default_factory=list)
    init_from: str | None = None
    until: float = 1.0


@dataclass
class Plan:
    runs: list[RunSpec]
    settings: dict


def load_plan(path: Path, repo: Path) -> Plan:
    """Read and check ``path``; config paths are relative to ``repo``. Raises SlimsepError naming the problem."""
    raw = read_yaml(path, "plan file")
    if not isinstance(raw, dict) or not isinstance(raw.get("runs"), list) or not raw["runs"]:
        raise SlimsepError(f"{path}: expected a mapping with a non-empty list `runs`")
    unknown = set(raw) - set(DEFAULTS) - {"runs"}
    if unknown:
        raise SlimsepError(f"{path}: unknown plan key(s) {', '.join(sorted(unknown))}")
    settings = {**DEFAULTS, **{k: v for k, v in raw.items() if k != "runs"}}
    runs = [_run(path, repo, entry) for entry in raw["runs"]]
    _check(path, runs, settings)
    return Plan(runs, settings)


def _run(path: Path, repo: Path, entry: object) -> RunSpec:
    if not isinstance(entry, dict) or "name" not in entry or "config" not in entry:
        raise SlimsepError(f"{path}: every run needs `name` and `config`, got {entry!r}")
    extra = set(entry) - {"name", "config", "overrides", "init_from", "until"}
    if extra:
        raise SlimsepError(f"{path}: run {entry['name']!r} has unknown key(s) {', '.join(sorted(extra))}")
    spec = RunSpec(str(entry["name"]), str(entry["config"]), list(entry.get("overrides") or []),
                   entry.get("init_from"), float(entry.get("until", 1.0)))
    if not NAME.match(spec.name):
        raise SlimsepError(f"{path}: run name {spec.name!r} must be 1-40 letters, digits, '_', '.' or '-'")
    if not (repo / spec.config).is_file():
        raise SlimsepError(f"{path}: run {spec.name!r}: config {spec.config} not found")
    if not 0 < spec.until <= 1:
        raise SlimsepError(f"{path}: run {spec.name!r}: until must be in (0, 1], got {spec.until}")
    return spec


def _check(path: Path, runs: list[RunSpec], settings: dict) -> None:
    if len(runs) > MAX_RUNS:
        raise SlimsepError(f"{path}: {len(runs)} runs; at most {MAX_RUNS} (one returned model file each)")
    seen: dict[str, RunSpec] = {}
    for run in runs:
        if run.name in seen:
            raise SlimsepError(f"{path}: run name {run.name!r} is used twice")
        if run.init_from is not None:
            parent = seen.get(run.init_from)
            if parent is None:
                raise SlimsepError(f"{path}: run {run.name!r}: init_from {run.init_from!r} is not an earlier run")
            if parent.until >= run.until:
                raise SlimsepError(f"{path}: run {run.name!r} must end after {parent.name!r} (until "
                                   f"{run.until} <= {parent.until})")
        for item in [*run.overrides, *settings["overrides"]]:
            if not isinstance(item, str) or "=" not in item:
                raise SlimsepError(f"{path}: override {item!r} must look like key.sub=value")
        seen[run.name] = run


def run_overrides(plan: Plan, run: RunSpec, seconds: float, threads: int) -> list[str]:
    """The overrides that make a config a run of this plan: batch, time budget, schedule by time, quiet."""
    s = plan.settings
    return [f"loader.batch_size={s['batch_size']}", f"data.segment={s['segment']}",
            f"trainer.max_steps={s['max_steps']}", f"trainer.max_time={max(1.0, seconds):.1f}",
            "optim.schedule_by_time=true", f"trainer.val_check_interval={s['val_check_interval']}",
            f"trainer.checkpoint_every_n_steps={s['checkpoint_every_n_steps']}", "trainer.limit_val_batches=1.0",
            "trainer.enable_progress_bar=false", f"trainer.threads={threads}", "trainer.accelerator=auto",
            "trainer.devices=1", "trainer.strategy=auto", *s["overrides"], *run.overrides]
