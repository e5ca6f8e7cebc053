"""A model file from a run that is still going: the campaign's daily snapshot (issue 27, docs/training.md).

Why: a CPU campaign lives across sessions and machines, but its run folder (checkpoints with optimizer state,
~20 MB each) stays outside git. What must survive a new machine is the network itself, as a few-MB model file that
``init_from`` continues from. With ``optim.ema_decay`` the checkpoint's ``state_dict`` already holds the exponential
moving average (Lightning's ``WeightAveraging``), so the snapshot is the averaged network the run validates.
"""
from __future__ import annotations

from pathlib import Path

from slimsep.errors import OutputExistsError, SlimsepError
from slimsep.models import save_model
from slimsep.training.checkpoints import load_checkpoint, named_checkpoint, resume_checkpoint
from slimsep.training.config import load_config
from slimsep.training.lineage import step_counts
from slimsep.training.run import cpu_hours, model_from_checkpoint, run_metadata


def snapshot(run_dir: str | Path, out: str | Path, half: bool = True, overwrite: bool = False,
             checkpoint: str | None = None) -> Path:
    """Write the newest intact checkpoint of ``run_dir`` (or the one named ``checkpoint``, a file name in its
    ``checkpoints`` folder such as ``best-1000.ckpt``: a campaign lands its best validated step, which is not always
    the newest) as a model file ``out``; returns ``out``.

    The weights are the checkpoint's ``state_dict`` (the EMA when the run keeps one), float16 when ``half``. The
    metadata carries the stage, the run's recipe (its ``config.yaml``), the run's ``cpu_hours`` so far, ``steps``
    of this run and ``total_steps`` of the whole campaign (steps already in the run's ``init_from`` snapshot added),
    so a run continued from the file keeps counting, and ``lineage``, the steps of every stage
    (:mod:`slimsep.training.lineage`).

    Raises:
        SlimsepError: ``run_dir`` has no intact checkpoint (or none named ``checkpoint``) or no ``config.yaml``.
        ModelFileError: the checkpoint has no model config, or weights of another shape than it says.
        OutputExistsError: ``out`` exists and ``overwrite`` is False.
    """
    run_dir, out = Path(run_dir), Path(out)
    if out.exists() and not overwrite:
        raise OutputExistsError(out, "--overwrite")
    config = run_dir / "config.yaml"
    if not config.is_file():
        raise SlimsepError(f"{run_dir}: not a training run (no config.yaml)")
    cfg = load_config(config)
    path, notes = (named_checkpoint(run_dir, checkpoint), []) if checkpoint else resume_checkpoint(run_dir)
    ckpt = load_checkpoint(path)
    steps = int(ckpt.get("global_step", 0))
    meta = run_metadata(cfg, **step_counts(cfg, run_dir, steps), snapshot_of=path.name,
                        averaged="current_model_state" in ckpt, notes=notes, **cpu_hours(ckpt.get("cpu_seconds")))
    return save_model(model_from_checkpoint(ckpt, path), out, metadata=meta, half=half)

