"""Data for training: any dataset ``build_dataset`` knows, batched for the stage at hand."""
from __future__ import annotations

import lightning as L
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from slimsep.data import build_dataset
from slimsep.training.sampling import EpochIndexed, ResumableLoader, ResumableSampler


class SeparationDataModule(L.LightningDataModule):
    """Training batches of fixed-length crops; validation one whole utterance at a time (lengths differ).

    The training order continues across ``--resume`` (``ResumableSampler``), and each rank of a DDP run reads its
    own share of it; the Trainer therefore runs with ``use_distributed_sampler=False``.
    """

    def __init__(self, data: dict, batch_size: int, num_workers: int, seed: int) -> None:
        super().__init__()
        self.spec, self.batch_size, self.num_workers, self.seed = data, batch_size, num_workers, seed
        self.train_set: Dataset | None = None
        self.valid_set: Dataset | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.train_set = EpochIndexed(build_dataset(self.spec, "train"))
            self.valid_set = build_dataset(self.spec, "valid")

    def _ranks(self) -> tuple[int, int]:
        return (self.trainer.global_rank, self.trainer.world_size) if self.trainer else (0, 1)

    def _consumed(self) -> int:
        """Batches trained on so far: one optimizer step per batch in every stage (manual optimisation)."""
        return self.trainer.global_step if self.trainer else 0

    def train_dataloader(self) -> DataLoader:
        rank, world = self._ranks()
        sampler = ResumableSampler(len(self.train_set), self.batch_size, self.seed, self._consumed, rank, world)
        return ResumableLoader(self.train_set, batch_size=self.batch_size, sampler=sampler, drop_last=True,
                               num_workers=self.num_workers, persistent_workers=False)

    def val_dataloader(self) -> DataLoader:
        rank, world = self._ranks()
        sampler = DistributedSampler(self.valid_set, world, rank, shuffle=False) if world > 1 else None
        return DataLoader(self.valid_set, batch_size=1, sampler=sampler, num_workers=0)
