"""Data for training: any dataset ``build_dataset`` knows, batched for the stage at hand."""
from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from slimsep.data import build_dataset


def _set_epoch(dataset: Dataset, epoch: int) -> None:
    for part in getattr(dataset, "datasets", [dataset]):
        if hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


class SeparationDataModule(L.LightningDataModule):
    """Training batches of fixed-length crops; validation one whole utterance at a time (lengths differ)."""

    def __init__(self, data: dict, batch_size: int, num_workers: int, seed: int) -> None:
        super().__init__()
        self.spec, self.batch_size, self.num_workers, self.seed = data, batch_size, num_workers, seed
        self.train_set: Dataset | None = None
        self.valid_set: Dataset | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = build_dataset(self.spec, "train")
            self.valid_set = build_dataset(self.spec, "valid")

    def train_dataloader(self) -> DataLoader:
        _set_epoch(self.train_set, self.trainer.current_epoch if self.trainer else 0)
        gen = torch.Generator().manual_seed(self.seed + (self.trainer.current_epoch if self.trainer else 0))
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          num_workers=self.num_workers, generator=gen,
                          persistent_workers=False)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.valid_set, batch_size=1, shuffle=False, num_workers=0)
