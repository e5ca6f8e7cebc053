"""The training config as typed, frozen dataclasses: what :func:`slimsep.training.load_config` returns.

Frozen, so no step of a run can change the recipe it records (``config.yaml``, the model file's ``recipe``). The
fields are the schema: the valid keys and the one-line type errors of ``load_config`` come from them, and
``TrainConfig.to_dict`` gives back the plain dict that checkpoints and model files store. ``data`` stays a dict:
its keys are those of the chosen corpus's builder (``slimsep.data.build_dataset``).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from slimsep.errors import SlimsepError

STAGES = ("slimmable", "gate", "static")


@dataclass(frozen=True)
class ModelSection:
    """The network: a named config (``slimsep.models.NAMED_CONFIGS``) and ``ModelConfig`` fields to change."""

    name: str = "tiny"
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoaderSection:
    """Training batches: utterances per batch; loader worker processes ("auto": ``run.data_workers``)."""

    batch_size: int = 4
    num_workers: int | Literal["auto"] = "auto"


@dataclass(frozen=True)
class OptimSection:
    """AdamW and its schedule: peak learning rate, decoupled weight decay, gradient-norm clip (L2; 0 or null: off),
    linear warm-up (optimizer steps), then cosine decay to ``min_lr_ratio`` x lr. ``schedule_by_time``: the decay
    follows max(step / max_steps, elapsed / trainer.max_time), so a run stopped by its wall-clock budget still ends
    at the low rate. ``fused``: the fused AdamW kernel ("auto": ``module._fused``). ``schedule: constant``: the
    warm-up, then the peak rate with no end step (the stable phase of warmup-stable-decay), for runs that go on
    across sessions. ``decay_start`` / ``decay_steps`` (constant schedule only): from optimizer step
    ``decay_start`` of this run the rate falls linearly to ``min_lr_ratio`` x lr over ``decay_steps`` steps, the
    cool-down of warmup-stable-decay for a branch that ends in a shipped snapshot (``slimsep.training.schedule``;
    docs/training.md, "Campaign"). ``ema_decay``: keep an exponential moving average of the weights with this decay
    per step (0: off); validation, checkpoints' ``state_dict`` and the exported model file then hold the average."""

    lr: float = 1e-3
    weight_decay: float = 0.0
    clip: float | None = 5.0
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    schedule: Literal["cosine", "constant"] = "cosine"
    schedule_by_time: bool = False
    fused: bool | Literal["auto"] = "auto"
    ema_decay: float = 0.0
    decay_start: int | None = None
    decay_steps: int = 0


@dataclass(frozen=True)
class SandwichSection:
    """Stage 1's sandwich rule, passes per step besides full and slimmest width: random per-chunk assignments,
    whole intermediate widths; distillation weight from the full width and its cap (dB of SI-SDR)."""

    random_widths: int = 1
    whole_widths: int = 0
    distill: float = 0.0
    distill_cap_db: float = 20.0


@dataclass(frozen=True)
class GateSection:
    """Stage 2: ``objective`` what the gates learn from: ``complexity`` (the separation loss through the chosen
    widths, plus the signal-dependent complexity loss) or ``regret`` (each chunk's measured SI-SDR loss per width,
    ``slimsep.losses.regret``, plus the cost); ``lambda`` weighs the cost term; ``q0``/``q_scale`` (dB) the chunk
    difficulty of the complexity loss; ``target_cost`` (mean relative width cost, null: none) a budget to aim at;
    Gumbel temperature annealed ``tau_start`` -> ``tau_end`` over max_steps; ``separator_lr`` (0: frozen separator);
    ``widths``: a subset of init_from's for the gates (null: all).
    """

    objective: Literal["complexity", "regret"] = "complexity"
    lambda_: float = 0.1  # the key is ``lambda`` (a Python keyword): see ``_key``
    q0: float = 8.0
    q_scale: float = 2.0
    target_cost: float | None = None
    tau_start: float = 1.0
    tau_end: float = 0.3
    separator_lr: float = 0.0
    widths: list[float] | None = None


@dataclass(frozen=True)
class StaticSection:
    """Static baselines: the one width (fraction of the full network) every chunk runs at."""

    width: float = 1.0


@dataclass(frozen=True)
class TrainerSection:
    """Lightning's Trainer. Counts are optimizer steps (``val_check_interval``, ``checkpoint_every_n_steps``,
    ``log_every_n_steps``); ``max_time`` seconds or "DD:HH:MM:SS" (``run.wall_clock_limit``); ``precision`` "auto":
    ``run.resolve_precision``; ``threads``: torch CPU threads (null: torch's choice); ``compile``: torch.compile."""

    max_steps: int = 1000
    max_time: float | str | None = None
    val_check_interval: int = 200
    limit_val_batches: float = 1.0
    accelerator: str = "cpu"
    devices: int | str | list[int] = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str | int = "auto"
    threads: int | None = None
    log_every_n_steps: int = 10
    checkpoint_every_n_steps: int = 50
    save_top_k: int = 2
    enable_progress_bar: bool = True
    compile: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """One stage's whole recipe. ``init_from``: a model file or Lightning checkpoint to start from (needed by the
    gate stage); ``seed`` seeds weights, data order and the random widths."""

    stage: str = "slimmable"
    seed: int = 0
    model: ModelSection = field(default_factory=ModelSection)
    init_from: str | None = None
    data: dict[str, Any] = field(default_factory=lambda: {"corpus": "synthetic"})
    loader: LoaderSection = field(default_factory=LoaderSection)
    optim: OptimSection = field(default_factory=OptimSection)
    sandwich: SandwichSection = field(default_factory=SandwichSection)
    gate: GateSection = field(default_factory=GateSection)
    static: StaticSection = field(default_factory=StaticSection)
    trainer: TrainerSection = field(default_factory=TrainerSection)

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise SlimsepError(f"stage must be one of {', '.join(STAGES)}, got {self.stage!r}")
        if self.stage == "gate" and not self.init_from:
            raise SlimsepError("stage 'gate' needs init_from: a stage-1 (slimmable) model file or checkpoint")
        check_ranges(self)
        check_cooldown(self.optim)
        check_gate_objective(self.gate)

    @classmethod
    def from_dict(cls, cfg: dict) -> TrainConfig:
        """The typed form of a resolved config dict; raises SlimsepError naming a misspelt or mistyped key."""
        check_section(cfg, cls)
        return _build(cls, cfg)

    def to_dict(self) -> dict[str, Any]:
        """The plain nested dict (YAML keys) that ``config.yaml``, checkpoints and model files store."""
        return dataclasses.asdict(self, dict_factory=lambda pairs: {_key(name): value for name, value in pairs})


# Entries that must be finite and > 0: a NaN learning rate trains on NaN, a batch of 0 or -1 steps end in a
# traceback from deep inside Lightning. ``data`` keys are checked where the chosen corpus has them.
POSITIVE = ("optim.lr", "loader.batch_size", "trainer.max_steps", "trainer.val_check_interval",
            "trainer.checkpoint_every_n_steps", "data.segment", "data.seconds")


def check_ranges(cfg: TrainConfig) -> None:
    """One line naming the first entry of ``POSITIVE`` that is not a finite number > 0."""
    plain = cfg.to_dict()
    for key in POSITIVE:
        section, name = key.split(".")
        if name not in plain[section]:
            continue
        value = plain[section][name]
        if value is None and section == "data":
            continue  # the corpus reader's own default (whole utterances)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise SlimsepError(f"config entry '{key}' must be a finite number > 0, got {value!r}")


def check_cooldown(o: OptimSection) -> None:
    """One line naming what is wrong with a half-specified or misplaced cool-down (``optim.decay_*``)."""
    if o.decay_steps < 0 or (o.decay_start is not None and o.decay_start < 0):
        raise SlimsepError("optim.decay_start and optim.decay_steps must be >= 0")
    if (o.decay_steps > 0) != (o.decay_start is not None):
        raise SlimsepError("a cool-down needs both optim.decay_start and optim.decay_steps (> 0); got "
                           f"decay_start {o.decay_start}, decay_steps {o.decay_steps}")
    if o.decay_steps and o.schedule != "constant":
        raise SlimsepError(f"a cool-down (optim.decay_steps) needs optim.schedule: constant, got {o.schedule!r} "
                           "(a cosine schedule decays already; --resume does not reread the run's config.yaml, "
                           "so repeat the run's own --set options)")


def check_gate_objective(g: GateSection) -> None:
    """Refuse ``objective: regret`` with ``separator_lr > 0``: the regret loss is measured with the separator frozen
    and has no separation term, so the separator's parameter group would get no gradient and the run would silently
    train only the gates."""
    if g.objective == "regret" and g.separator_lr:
        raise SlimsepError(f"gate.objective 'regret' trains the gates only (the separator stays frozen), so "
                           f"gate.separator_lr must be 0, got {g.separator_lr}; use objective 'complexity' to "
                           "fine-tune the separator with the gates")


def check_section(given: object, cls: type, where: str = "", prefix: str = "") -> None:
    """Refuse, in one line naming it, a key that is no field of ``cls`` or a value not of the field's type.

    ``given`` may be partial (a YAML file before it is merged over the defaults)."""
    types_ = field_types(cls)
    check_known(given, types_, prefix, where)
    for key, value in given.items():  # type: ignore[union-attr]
        hint = types_[key]
        if dataclasses.is_dataclass(hint):
            check_section(value, hint, where, f"{prefix}{key}.")
        elif not _fits(value, hint):
            raise SlimsepError(f"{where}config entry '{prefix}{key}' must be {_describe(hint)}, got {value!r}")


def check_known(given: object, valid: dict, prefix: str, where: str, context: str = "") -> None:
    """``given`` is a section whose every key is in ``valid``; else one line naming the nearest valid key."""
    if not isinstance(given, dict):
        raise SlimsepError(f"{where}config entry '{prefix.rstrip('.')}' must be a section (key: value pairs)")
    for key in given:
        if key not in valid:
            hint = nearest(str(key), valid, prefix) or f"; valid: {', '.join(sorted(map(str, valid)))}"
            raise SlimsepError(f"{where}unknown config key '{prefix}{key}'{context}{hint}")


def nearest(key: str, valid: object, prefix: str = "") -> str:
    """``; did you mean 'x'?`` for the closest valid name (difflib), or nothing."""
    match = difflib.get_close_matches(key, [str(v) for v in valid], n=1, cutoff=0.5)
    return f"; did you mean '{prefix}{match[0]}'?" if match else ""


def field_types(cls: type) -> dict[str, Any]:
    """YAML key -> resolved type hint of each field of the dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    return {_key(f.name): hints[f.name] for f in dataclasses.fields(cls)}


def _key(name: str) -> str:
    """A field's YAML key: its name without the trailing ``_`` that a Python keyword (``lambda``) needs."""
    return name.removesuffix("_")


def _build(cls: type, given: dict) -> Any:
    """``cls`` from a checked dict: sections built in turn, missing keys left at their defaults."""
    types_, kwargs = field_types(cls), {}
    for f in dataclasses.fields(cls):
        key = _key(f.name)
        if key in given:
            hint = types_[key]
            kwargs[f.name] = _build(hint, given[key]) if dataclasses.is_dataclass(hint) else copy.deepcopy(given[key])
    return cls(**kwargs)


_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "text", type(None): "null"}


def _fits(value: object, hint: Any) -> bool:
    """Whether ``value`` (as YAML gives it) is of type ``hint``; ints count as floats, bools as neither."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if origin is list:
        return isinstance(value, list) and all(_fits(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(value, bool) and hint is not bool:
        return False
    return isinstance(value, (int, float) if hint is float else hint)


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is Literal:
        return " or ".join(repr(a) for a in args)
    if origin is list:
        return f"a list of {_describe(args[0]).removeprefix('a ')}s"
    if origin is dict:
        return "a section (key: value pairs)"
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))
