"""The training order continues across --resume and epochs, and DDP ranks split it."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.training import load_config, train
from slimsep.training.sampling import EpochIndexed, ResumableLoader, ResumableSampler
from tests.training.conftest import QUIET, REPO


def _stream(consumed: int, size: int = 10, batch: int = 2, rank: int = 0, world: int = 1) -> list[int]:
    return list(ResumableSampler(size, batch, seed=3, consumed=lambda: consumed, rank=rank, world=world))


def test_a_resumed_sampler_continues_the_epoch() -> None:
    full = _stream(0)
    assert sorted(full) == list(range(10))
    assert _stream(3) == full[6:]
    second = _stream(5)  # 5 batches make an epoch: the second epoch's items carry epoch 1
    assert sorted(second) == list(range(10, 20))
    assert second != [10 + i for i in full], "each epoch gets a new order"


def test_ranks_read_disjoint_shares() -> None:
    a, b = _stream(0, rank=0, world=2), _stream(0, rank=1, world=2)
    assert len(a) == len(b) == 4 and not set(a) & set(b)
    with pytest.raises(SlimsepError, match="cannot fill one batch"):
        _stream(0, size=3, batch=2, world=2)


def test_a_checkpoint_whose_position_disagrees_with_its_step_is_refused() -> None:
    loader = ResumableLoader(list(range(10)), batch_size=2, sampler=ResumableSampler(10, 2, 0, lambda: 3))
    assert loader.state_dict() == {"batches_consumed": 3}
    loader.load_state_dict({"batches_consumed": 3})
    with pytest.raises(RuntimeError, match="saved after 4 batches but restores step 3"):
        loader.load_state_dict({"batches_consumed": 4})


def test_epoch_indexed_items_carry_their_epoch() -> None:
    class Epochs(torch.utils.data.Dataset):
        epoch = 0

        def set_epoch(self, epoch: int) -> None:
            self.epoch = epoch

        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int) -> tuple[int, int]:
            return self.epoch, i

    data = EpochIndexed(Epochs())
    assert data[1] == (0, 1) and data[9] == (2, 1) and len(data) == 4
    nested = EpochIndexed(torch.utils.data.Subset(torch.utils.data.ConcatDataset([Epochs(), Epochs()]), [0, 5]))
    assert nested[3] == (1, 1), "the epoch reaches datasets inside a Subset of a ConcatDataset"


def _indices_seen(monkeypatch: pytest.MonkeyPatch, log: list[int]) -> None:
    def spy(self: EpochIndexed, index: int) -> object:
        log.append(int(index))
        return GETITEM(self, index)

    monkeypatch.setattr(EpochIndexed, "__getitem__", spy)


GETITEM = EpochIndexed.__getitem__


@pytest.mark.slow
def test_resume_reads_the_batches_an_uninterrupted_run_reads(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop at step 10 of a 16-batch epoch, resume to 24: the same 96 training items, in order, as one run."""
    base = [*QUIET, "trainer.val_check_interval=10", "trainer.limit_val_batches=1",
            "trainer.checkpoint_every_n_steps=10", "trainer.threads=1"]
    straight: list[int] = []
    _indices_seen(monkeypatch, straight)
    train(load_config(REPO / "configs" / "tiny_synthetic.yaml", [*base, "trainer.max_steps=24"]), tmp_path / "a")
    resumed: list[int] = []
    _indices_seen(monkeypatch, resumed)
    train(load_config(REPO / "configs" / "tiny_synthetic.yaml", [*base, "trainer.max_steps=10"]), tmp_path / "b")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(load_config(REPO / "configs" / "tiny_synthetic.yaml", [*base, "trainer.max_steps=24"]),
              tmp_path / "b", resume=True)
    assert len(straight) == 96 and resumed == straight
    assert not [w for w in caught if "not resumable" in str(w.message)], "Lightning must see a resumable loader"
