"""One run of a GPU recipe plan, in its own process: ``python -m slimsep.recipe.child PLAN NAME WORK DEADLINE``.

Trains with the plan's overrides, mixing on the device from ``WORK/train.npz`` (and, for ``data.task: sep_noisy``,
the noise clips of ``WORK/noise.npz``) and validating on ``WORK/valid.pt``'s mixtures of that task, and stops
``EXPORT_MARGIN_S`` before the wall-clock ``DEADLINE`` (seconds since the epoch) so that ``model.pt`` is written in
time. Writes ``WORK/NAME/status.json`` at the end.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from slimsep.data.tensor_mix import ClipBank, SourceBank, TensorMixStream
from slimsep.errors import SlimsepError
from slimsep.recipe.bank import load_train
from slimsep.recipe.plan import load_plan, run_overrides
from slimsep.training import load_config, train

EXPORT_MARGIN_S = 20.0  # loading the best checkpoint and writing model.pt


class TensorMixData(L.LightningDataModule):
    """Training batches mixed on the device; validation on the fixed mixtures of the pack, one at a time.

    ``train_set`` and ``valid_set`` are the names :func:`slimsep.training.train` checks (sample rate), as on
    :class:`slimsep.training.datamodule.SeparationDataModule`.
    """

    def __init__(self, bank: SourceBank, batch: int, seconds: float, sample_rate: int, seed: int,
                 valid: list[tuple[torch.Tensor, torch.Tensor]], noise: ClipBank | None = None) -> None:
        super().__init__()
        self.train_set = TensorMixStream(bank, batch, seconds, sample_rate, seed, noise)
        self.valid_set = valid

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=None, num_workers=0)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.valid_set, batch_size=1, num_workers=0)


def main(plan_path: str, name: str, work: str, deadline: float) -> int:
    work_dir = Path(work)
    repo = Path(__file__).resolve().parents[2]
    plan = load_plan(Path(plan_path), repo)
    spec = next(r for r in plan.runs if r.name == name)
    threads = int(os.environ.get("SLIMSEP_RECIPE_THREADS", "2"))
    seconds = deadline - time.time() - EXPORT_MARGIN_S
    overrides = run_overrides(plan, spec, seconds, threads)
    if spec.init_from:
        overrides.append(f"init_from={work_dir / spec.init_from / 'model.pt'}")
    cfg = load_config(repo / spec.config, overrides)
    device = "cuda" if torch.cuda.is_available() and cfg.trainer.accelerator != "cpu" else "cpu"
    bank = SourceBank(load_train(work_dir / "train.npz"), device)
    noise, valid = task_data(work_dir, str(cfg.data.get("task", "sep_clean")), device)
    rate = int(cfg.data.get("sample_rate", 8000))
    data = TensorMixData(bank, cfg.loader.batch_size, float(cfg.data["segment"]), rate, cfg.seed, valid, noise)
    start = time.time()
    train(cfg, work_dir / name, command=f"gpu_recipe plan={plan_path} run={name}", data=data)
    status = {"seconds": round(time.time() - start, 1), "device": device, "batch_size": cfg.loader.batch_size,
              "segment": cfg.data["segment"], "stage": cfg.stage}
    (work_dir / name / "status.json").write_text(json.dumps(status))
    return 0


def task_data(work: Path, task: str, device: str) -> tuple[ClipBank | None, list[tuple[torch.Tensor, torch.Tensor]]]:
    """(noise bank or None, validation mixtures) for ``task``; raises SlimsepError for a task the pack cannot serve."""
    items = torch.load(work / "valid.pt", weights_only=True)
    if task == "sep_clean":
        return None, items["items"]
    if task != "sep_noisy":
        raise SlimsepError(f"data.task {task!r}: the GPU recipe mixes sep_clean or sep_noisy")
    if not (work / "noise.npz").is_file() or "items_noisy" not in items:
        raise SlimsepError(f"{work}: the pack has no noise clips; pack again (gpu_recipe.py pack) for sep_noisy")
    return ClipBank(load_train(work / "noise.npz")["noise"], device), items["items_noisy"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
