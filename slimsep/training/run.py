"""Build the Trainer from a config, run (or resume) a stage, and export the model file.

Training state (issue 28): every checkpoint is written atomically and read with ``weights_only=True`` passed
explicitly (``checkpoints.py``), so a kill during a write leaves the previous ``last.ckpt`` whole and a hostile
pickle never runs, even under ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``; ``--resume`` falls back to the newest intact
checkpoint; SIGTERM or SIGINT saves ``last.ckpt`` and exits 143 or 130.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger

from slimsep.atomic import write_text_atomic
from slimsep.data.factory import check_sample_rate
from slimsep.errors import DiskFullError, Interrupted, ModelFileError, SlimsepError, first_line, full_disk_names
from slimsep.hardware import cpu_has_fast_bf16
from slimsep.inference.files import check_output_folder
from slimsep.models import DSN, ModelConfig, get_config, load_model, restrict_widths, save_model
from slimsep.models.serialization import check_state, model_metadata
from slimsep.threads import check_threads
from slimsep.training.checkpoints import AtomicCheckpointIO, StopOnSignal, load_checkpoint, resume_checkpoint
from slimsep.training.config import config_differences
from slimsep.training.datamodule import SeparationDataModule
from slimsep.training.ema import EMA
from slimsep.training.lineage import record_prior_steps, step_counts
from slimsep.training.lock import RunLock
from slimsep.training.module import SeparationModule
from slimsep.training.sections import TrainConfig
from slimsep.yaml_file import read_yaml

log = logging.getLogger(__name__)


def resumed_model_config(cfg: TrainConfig, run_dir: Path, ckpt_path: Path) -> dict:
    """The network a resumed run continues: the one its checkpoint holds. Not ``init_from`` read again: the campaign
    points a config's ``init_from`` at each new day's snapshot, which may be another architecture than the run in
    the folder (a resume then failed inside torch on mismatched shapes), and on a new machine it may be gone.
    Checked before anything is written: the run's stage against ``cfg``'s, the checkpoint's config against its
    weights."""
    ckpt = load_checkpoint(ckpt_path)
    check_same_stage(cfg, run_dir, ckpt)
    model_from_checkpoint(ckpt, ckpt_path)
    return dict(ckpt["hyper_parameters"]["model_config"])


def check_same_stage(cfg: TrainConfig, run_dir: Path, ckpt: dict) -> None:
    """A resume continues the run's own stage: another stage's model has other trainable parameters, so restoring
    the optimizer failed inside torch, after the run's ``config.yaml`` had been rewritten. The checkpoint decides
    (``config.yaml`` for one from before it recorded its config)."""
    hparams = ckpt.get("hyper_parameters")
    train_config = hparams.get("train_config") if isinstance(hparams, dict) else None
    stage = train_config.get("stage") if isinstance(train_config, dict) else None
    saved = run_dir / "config.yaml"
    if stage is None and saved.is_file():
        stage = read_yaml(saved).get("stage")
    if stage and stage != cfg.stage:
        raise SlimsepError(f"{run_dir}: --resume with a {cfg.stage!r} config, but this run trains the {stage!r} "
                           f"stage; nothing was changed: resume with the run's own config, or start the "
                           f"{cfg.stage} stage in another folder")


def initial_weights(cfg: TrainConfig) -> tuple[dict, dict | None]:
    """(model config dict, state dict to start from) for a fresh run.

    A gate run with ``gate.widths`` starts from ``init_from`` restricted to those widths (``restrict_widths``).
    """
    source = cfg.init_from
    if not source:
        return get_config(cfg.model.name, **cfg.model.overrides).to_dict(), None
    path = Path(source)
    if not path.is_file():
        raise SlimsepError(f"init_from: {path} does not exist (a model file or a Lightning checkpoint)")
    if path.suffix == ".ckpt":
        model = model_from_checkpoint(load_checkpoint(path), path)
    else:
        check_gate_start(cfg, path)
        model = load_model(path)
    widths = cfg.gate.widths if cfg.stage == "gate" else None
    if widths:
        model = restrict_widths(model, widths)
    return model.cfg.to_dict(), model.state_dict()


def check_gate_start(cfg: TrainConfig, path: Path) -> None:
    """Gates need a network trained at every width: refuse a static (one-width) model file as their start."""
    stage = model_metadata(path).get("stage")
    if cfg.stage == "gate" and stage == "static":
        raise SlimsepError(f"init_from: {path} is a static model (trained at one width); the gates need a stage-1 "
                           "(slimmable) model file or checkpoint")


def model_from_checkpoint(ckpt: dict, path: Path) -> DSN:
    """The network in a Lightning checkpoint of :class:`SeparationModule` (its ``state_dict``: the EMA when the run
    keeps one). A checkpoint without the model's config, or with weights another shape than it says, is one
    :class:`ModelFileError` naming ``path``, checked on the meta device before any weights are copied."""
    hparams = ckpt.get("hyper_parameters")
    if not isinstance(hparams, dict) or not isinstance(hparams.get("model_config"), dict):
        raise ModelFileError(f"{path}: not a slimsep training checkpoint (no model_config in its hyper_parameters)")
    try:
        cfg = ModelConfig.from_dict(hparams["model_config"])
    except (SlimsepError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: bad model_config in its hyper_parameters ({first_line(exc)})") from None
    state = {k.removeprefix("model."): v for k, v in ckpt["state_dict"].items()}
    check_state(cfg, state, path)
    model = DSN(cfg)
    model.load_state_dict(state)
    return model


def run_metadata(cfg: TrainConfig, **extra: object) -> dict:
    """A model file's metadata: the stage and the whole training recipe as plain data (old files load)."""
    return {"stage": cfg.stage, "recipe": json.loads(json.dumps(cfg.to_dict(), default=str)), **extra}


def cpu_hours(seconds: float | None) -> dict:
    """A model file's ``{"cpu_hours": h}`` from the CPU seconds a run had trained for
    (``SeparationModule.cpu_seconds``), or nothing for a checkpoint from before that count (None)."""
    return {} if seconds is None else {"cpu_hours": round(seconds / 3600, 3)}


def wall_clock_limit(value: float | str | None) -> timedelta | str | None:
    """``trainer.max_time``: seconds (a number; YAML also reads ``1:30:00`` as one) or Lightning's "DD:HH:MM:SS".

    A safety stop for a fixed compute budget (a lent GPU, a queue slot); the learning-rate schedule still follows
    ``max_steps``, so set both.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or value <= 0:
        raise SlimsepError(f"trainer.max_time must be a positive number of seconds, got {value!r}")
    return timedelta(seconds=float(value))


def on_gpu(cfg: TrainConfig) -> bool:
    """Whether the run will train on CUDA (``trainer.accelerator`` gpu/cuda, or auto with a GPU present)."""
    accelerator = cfg.trainer.accelerator.lower()
    return accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())


def resolve_precision(cfg: TrainConfig) -> str:
    """``trainer.precision: auto``: "bf16-mixed" (autocast; losses stay in float32, module.run_model) on a GPU
    that has bf16 or on a CPU that multiplies bf16 in hardware (``slimsep.hardware.cpu_has_fast_bf16``), else
    "32-true": emulated bf16 is many times slower than float32. Any other value is passed to Lightning as given."""
    value = str(cfg.trainer.precision)
    if value != "auto":
        return value
    if on_gpu(cfg):
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "32-true"
    return "bf16-mixed" if cpu_has_fast_bf16() else "32-true"


def data_workers(cfg: TrainConfig) -> int:
    """``loader.num_workers: auto``: on a GPU, half the CPU cores per device (at most 8), so dynamic mixing keeps
    up with bf16 steps; on a CPU 0 below 4 cores (a worker would only take cores from the model), else 1."""
    value = cfg.loader.num_workers
    if value != "auto":
        return value
    cores = os.cpu_count() or 1
    if on_gpu(cfg):
        devices = cfg.trainer.devices
        per_device = cores // 2 // (int(devices) if isinstance(devices, int) and devices > 0 else 1)
        return max(1, min(8, per_device))
    return 0 if cores < 4 else 1


class _NoAdverts(logging.Filter):
    """Drops Lightning's "Tip: try installing <product>" lines: an advert, not information about the run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Tip:" not in record.getMessage()


def quiet_lightning() -> None:
    """Keep the run's output to what concerns the run: no adverts, and no deprecation warning that Lightning's own
    code triggers in PyTorch (nothing a user of slimsep can act on)."""
    rank_zero = logging.getLogger("lightning.pytorch.utilities.rank_zero")
    if not any(isinstance(f, _NoAdverts) for f in rank_zero.filters):
        rank_zero.addFilter(_NoAdverts())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")


def build_trainer(cfg: TrainConfig, run_dir: Path, stop: StopOnSignal | None = None,
                  *extra: L.Callback) -> tuple[L.Trainer, ModelCheckpoint]:
    t = cfg.trainer
    # Every stage optimises manually; a checkpoint holds the weights after the step it counts, which is what
    # --resume needs (tests/training/test_resume.py). Lightning's page-long warning about it is noise here.
    warnings.filterwarnings("ignore", message="Using ModelCheckpoint with manual optimization")
    quiet_lightning()
    monitor, mode = ("val/loss", "min") if cfg.stage == "gate" else ("val/si_sdri", "max")  # module.py
    best = ModelCheckpoint(dirpath=run_dir / "checkpoints", monitor=monitor, mode=mode,
                           save_top_k=t.save_top_k, filename="best-{step}", auto_insert_metric_name=False)
    last = ModelCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=0,  # always last.ckpt, even
                           every_n_train_steps=t.checkpoint_every_n_steps,  # after resuming from another checkpoint
                           enable_version_counter=False)
    trainer = L.Trainer(
        default_root_dir=run_dir, max_steps=t.max_steps, max_time=wall_clock_limit(t.max_time),
        accelerator=t.accelerator, devices=t.devices,
        num_nodes=t.num_nodes, strategy=t.strategy, precision=resolve_precision(cfg),
        val_check_interval=min(t.val_check_interval, t.max_steps), check_val_every_n_epoch=None,
        limit_val_batches=t.limit_val_batches, log_every_n_steps=t.log_every_n_steps,
        logger=CSVLogger(run_dir, name="logs"),  # resume: version_1, ...
        callbacks=[best, last, LearningRateMonitor(), *averaging(cfg), *([stop] if stop else []), *extra],
        plugins=[AtomicCheckpointIO()],
        enable_progress_bar=t.enable_progress_bar, num_sanity_val_steps=0,
        use_distributed_sampler=False,  # the data module shards for DDP itself, in a resumable order
    )
    return trainer, best


NETWORK_KEYS = ("init_from", "model")  # config entries that the checkpoint decides on a resume


def write_run_config(cfg: TrainConfig, run_dir: Path, resumed: bool) -> None:
    """The run's ``config.yaml``. A resume keeps the ``init_from`` and ``model`` the run started with: its network
    is the checkpoint's, so whatever a resume's config names there would misstate where the run came from."""
    saved = run_dir / "config.yaml"
    config = cfg.to_dict()
    if resumed and saved.is_file():
        old = read_yaml(saved)
        config.update({k: old[k] for k in NETWORK_KEYS if k in old})
    write_text_atomic(saved, yaml.safe_dump(config, sort_keys=False))


class WriteRunConfig(L.Callback):
    """Writes the run's ``config.yaml`` when training starts, after a resume has restored its checkpoint: a resume
    whose config the checkpoint does not fit fails before that, and leaves the folder's ``config.yaml`` as it was."""

    def __init__(self, cfg: TrainConfig, run_dir: Path, resumed: bool) -> None:
        self.cfg, self.run_dir, self.resumed = cfg, run_dir, resumed

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero:
            write_run_config(self.cfg, self.run_dir, self.resumed)


def resume_notes(cfg: TrainConfig, run_dir: Path) -> list[str]:
    """A note when a resume's config differs from the one the run folder saved (a cool-down branch does so on
    purpose; a forgotten ``--set`` does not)."""
    saved = run_dir / "config.yaml"
    moved = config_differences(read_yaml(saved), cfg) if saved.is_file() else []
    moved = [m for m in moved if m.split(" ")[0].split(".")[0] not in NETWORK_KEYS]
    return [f"this resume's config differs from {saved} in {', '.join(moved)}; --resume does not reread that "
            "file, so repeat the run's --set options unless the change is meant"] if moved else []


def averaging(cfg: TrainConfig) -> list[EMA]:
    """The weight-averaging callback of ``optim.ema_decay`` (none when 0)."""
    decay = cfg.optim.ema_decay
    if decay and not 0.0 < decay < 1.0:
        raise SlimsepError(f"config entry 'optim.ema_decay' must lie in [0, 1), got {decay}")
    return [EMA(decay)] if decay else []


def export(module: SeparationModule, cfg: TrainConfig, out: Path, extra: dict | None = None) -> Path:
    """The run's model file: weights, full model config and the training recipe (a plain dict: old files load)."""
    return save_model(module.model, out, metadata=run_metadata(cfg, **(extra or {})))


def exported_checkpoint(cfg: TrainConfig, run_dir: Path, best_path: str) -> Path | None:
    """The checkpoint whose weights ``model.pt`` gets, or None for the weights at the last step (the average, with
    ``optim.ema_decay``). A run that ends on a cool-down (``optim.decay_steps``) exports its last step: that is what
    the cool-down is for, and the best validated checkpoint may predate it. Otherwise the best validated checkpoint,
    but only one in this run's own folder: a run folder copied to branch it (docs/training.md, "Campaign") carries
    the original's best-checkpoint path, which may since have been deleted there."""
    if not best_path or cfg.optim.decay_steps:
        return None
    path = Path(best_path)
    own = path.parent.resolve() == (run_dir / "checkpoints").resolve()
    return path if own and path.is_file() else None


def train(cfg: TrainConfig, run_dir: str | Path, resume: bool = False, command: str = "",
          data: L.LightningDataModule | None = None) -> Path:
    """Run one stage into ``run_dir``; returns the exported model file ``run_dir/model.pt``.

    ``data`` replaces the data module built from ``cfg.data`` (the GPU recipe mixes on the GPU itself). The run
    holds the folder's lock (:mod:`slimsep.training.lock`) from before it reads anything there until it returns.
    """
    run_dir = Path(run_dir)
    check_output_folder(run_dir)
    with RunLock(run_dir) as lock, full_disk_advice(run_dir):
        if run_dir.is_dir():
            lock.claim(resume)
        return _train(cfg, run_dir, lock, resume, command, data)


@contextmanager
def full_disk_advice(run_dir: Path) -> Iterator[None]:
    """A full disk during the run (a checkpoint, the logs, ``model.pt``) as one line naming the file, saying how
    to go on: the checkpoints are written atomically, so the last one written is whole."""
    try:
        with full_disk_names(run_dir):
            yield
    except DiskFullError as exc:
        whole = (run_dir / "checkpoints" / "last.ckpt").is_file()
        raise DiskFullError(exc.path, exc.code, "free some space, then " + (
            "continue the run with --resume (checkpoints/last.ckpt is whole)" if whole else "start the run again")
        ) from None


def _train(cfg: TrainConfig, run_dir: Path, lock: RunLock, resume: bool, command: str,
           data: L.LightningDataModule | None) -> Path:
    start = None
    if resume:
        start, notes = resume_checkpoint(run_dir)
        model_config, state = resumed_model_config(cfg, run_dir, start), None
        for note in notes + resume_notes(cfg, run_dir):
            print(f"slimsep: note: {note}", file=sys.stderr)
    threads = check_threads(cfg.trainer.threads, "trainer.threads")  # capped here, not in the saved config
    if threads:
        torch.set_num_threads(threads)
    L.seed_everything(cfg.seed, workers=True)
    # Read the starting weights and the data before the run folder exists: a bad init_from or data option is a
    # one-line error that leaves no half-made run behind.
    if start is None:
        model_config, state = initial_weights(cfg)
    module = SeparationModule(model_config, cfg)
    if state is not None:
        module.model.load_state_dict(state)
    if data is None:
        data = SeparationDataModule(cfg.data, cfg.loader.batch_size, data_workers(cfg), cfg.seed)
    data.setup("fit")
    check_sample_rate(data.train_set, model_config["sample_rate"], "the training data")
    check_sample_rate(data.valid_set, model_config["sample_rate"], "the validation data")
    run_dir.mkdir(parents=True, exist_ok=True)
    lock.claim(resume)  # a folder made just now: locked here, and checked again under the lock
    record_prior_steps(cfg, run_dir)
    return _fit_and_export(cfg, run_dir, module, data, start, command)


def _fit_and_export(cfg: TrainConfig, run_dir: Path, module: SeparationModule, data: L.LightningDataModule,
                    start: Path | None, command: str) -> Path:
    last = run_dir / "checkpoints" / "last.ckpt"
    stop = StopOnSignal()
    trainer, best = build_trainer(cfg, run_dir, stop, WriteRunConfig(cfg, run_dir, resumed=start is not None))
    trainer.fit(module, datamodule=data, ckpt_path=str(start) if start else None, weights_only=True)
    if stop.signum is not None:
        trainer.save_checkpoint(last)
        raise Interrupted(stop.signum, f"stopped by {stop.name} at step {trainer.global_step}; saved {last}; "
                                       f"continue with --resume")
    chosen = exported_checkpoint(cfg, run_dir, best.best_model_path)
    if chosen is not None:
        module.load_state_dict(load_checkpoint(chosen)["state_dict"])
    score = float(best.best_model_score) if chosen is not None and best.best_model_score is not None else None
    extra = {"command": command, "best_checkpoint": chosen.name if chosen is not None else "",
             "selected_by": best.monitor if chosen is not None else "last step",
             "val_" + best.monitor.removeprefix("val/"): score,
             **cpu_hours(module.cpu_seconds()), **step_counts(cfg, run_dir, trainer.global_step)}
    return export(module, cfg, run_dir / "model.pt", extra) if trainer.is_global_zero else run_dir / "model.pt"
