"""On-the-fly mixing is reproducible per (seed, epoch, index) and changes between epochs."""
from __future__ import annotations

from pathlib import Path

import torch

from slimsep.data import DynamicMixDataset, build_dataset


def test_same_draw_for_same_epoch_and_new_draw_next_epoch(mini_open_corpus: Path) -> None:
    a = DynamicMixDataset(mini_open_corpus, segment=1.5, n_items=4, seed=1)
    b = DynamicMixDataset(mini_open_corpus, segment=1.5, n_items=4, seed=1)
    mix_a, src_a = a[2]
    mix_b, src_b = b[2]
    assert torch.equal(mix_a, mix_b) and src_a.shape == (2, 12000)
    b.set_epoch(1)
    assert not torch.equal(b[2][0], mix_a)


def test_open_corpus_builder_splits(mini_open_corpus: Path) -> None:
    from slimsep.data.conditions import write_condition

    write_condition(mini_open_corpus, "valid", 0.5, 0.0, count=2, seed=0)
    spec = {"corpus": "open", "root": str(mini_open_corpus), "segment": 1.0, "n_items": 3}
    assert len(build_dataset(spec, "train")) == 3
    assert len(build_dataset(spec, "valid")) == 2
