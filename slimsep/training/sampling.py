"""Training order that a resumed run continues instead of repeating.

Lightning restarts a plain DataLoader from the top of the epoch when a run resumes mid-epoch: the batches already
trained on come again and the end of the epoch never does. Here the order is a pure function of the seed and of
how many batches the run has consumed (its global step: every stage makes one optimizer step per batch), so a
fresh, a resumed and a DDP run all read the same stream.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from slimsep.errors import SlimsepError


def set_epoch(dataset: Dataset, epoch: int) -> None:
    """Tell every epoch-aware part of ``dataset`` (dynamic mixing draws new mixtures per epoch) the epoch."""
    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    parts = [*getattr(dataset, "datasets", []), *([dataset.dataset] if hasattr(dataset, "dataset") else [])]
    for part in parts:  # a ConcatDataset's parts, a Subset's dataset
        set_epoch(part, epoch)


class EpochIndexed(Dataset):
    """``dataset`` seen through indices ``epoch * len + i``, so the epoch travels with each index.

    DataLoader workers hold their own copy of the dataset, made before the sampler runs; an epoch set on the
    main process's copy would not reach them.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.size = len(dataset)  # type: ignore[arg-type]
        self._epoch = -1

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Any:
        epoch, item = divmod(int(index), self.size)
        if epoch != self._epoch:
            set_epoch(self.dataset, epoch)
            self._epoch = epoch
        return self.dataset[item]


class ResumableSampler(Sampler[int]):
    """Epoch ``e``'s order is ``randperm(n)`` seeded by ``seed + e``; iteration starts after ``consumed()`` batches.

    Under DDP each rank takes every ``world``-th index of the shared permutation. Indices are ``EpochIndexed``.
    """

    def __init__(self, size: int, batch_size: int, seed: int, consumed: Callable[[], int], rank: int = 0,
                 world: int = 1) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.consumed, self.rank, self.world = consumed, rank, world
        self.batches_per_epoch = size // world // batch_size
        if self.batches_per_epoch < 1:
            raise SlimsepError(f"{size} training items cannot fill one batch of {batch_size} on {world} rank(s); "
                               "lower loader.batch_size or use more training data")

    def __len__(self) -> int:
        return self.batches_per_epoch * self.batch_size

    def __iter__(self) -> Iterator[int]:
        epoch, done = divmod(int(self.consumed()), self.batches_per_epoch)
        order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + epoch))
        mine = order[self.rank::self.world][:len(self)]
        yield from (epoch * self.size + mine[done * self.batch_size:]).tolist()


class ResumableLoader(DataLoader):
    """A DataLoader over a ``ResumableSampler`` that tells Lightning it resumes mid-epoch correctly.

    The position needs no saving (the sampler derives it from the restored global step); the state records it so
    that a checkpoint whose position disagrees with its step is caught instead of silently re-reading data.
    """

    sampler: ResumableSampler

    def state_dict(self) -> dict[str, int]:
        return {"batches_consumed": int(self.sampler.consumed())}

    def load_state_dict(self, state: dict[str, int]) -> None:
        saved, now = state.get("batches_consumed"), int(self.sampler.consumed())
        if saved is not None and saved != now:
            raise RuntimeError(f"checkpoint was saved after {saved} batches but restores step {now}")
