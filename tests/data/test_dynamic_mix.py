"""On-the-fly mixing is reproducible per (seed, epoch, index) and changes between epochs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from slimsep.data import DynamicMixDataset, build_dataset
from slimsep.errors import SlimsepError


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


def test_validation_prefix_covers_every_condition(mini_open_corpus: Path) -> None:
    """limit_val_batches takes a prefix: it must not be the first condition folder only."""
    from slimsep.data.conditions import write_condition
    from slimsep.data.factory import interleaved_order

    assert interleaved_order([3, 1, 2]) == [0, 3, 4, 1, 5, 2]
    assert interleaved_order([]) == []
    for overlap in (1.0, 0.25):
        write_condition(mini_open_corpus, "valid", overlap, 0.0, count=2, seed=0)
    valid = build_dataset({"corpus": "open", "root": str(mini_open_corpus), "task": "sep_clean"}, "valid")
    lengths = [valid[i][0].shape[-1] for i in range(len(valid))]
    first = [condition[0][0].shape[-1] for condition in valid.dataset.datasets]
    assert lengths[:2] == first  # item 0 of each condition before item 1 of any


def test_speaker_weighting_from_the_data_spec(mini_open_corpus: Path) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "segment": 1.0, "n_items": 3}
    assert build_dataset(spec, "train").speaker_p is None  # uniform by default
    assert build_dataset({**spec, "speaker_weighting": "duration"}, "train").speaker_p.sum() == pytest.approx(1.0)
    with pytest.raises(SlimsepError, match="speaker_weighting"):
        build_dataset({**spec, "speaker_weighting": "equal"}, "train")


def test_overlaps_from_the_data_spec(mini_open_corpus: Path) -> None:
    """``data.overlaps: [1.0]`` trains on fully overlapped mixtures only (issue 25's mixture control)."""
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_clean"}
    assert build_dataset(spec, "train").overlaps == (1.0, 0.5, 0.25)
    assert build_dataset({**spec, "overlaps": [1.0]}, "train").overlaps == (1.0,)


@pytest.mark.parametrize("bad", [[], [0.0], [1.5], ["most"], None])
def test_bad_overlaps_are_one_line_errors(mini_open_corpus: Path, bad: object) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_clean", "overlaps": bad}
    with pytest.raises(SlimsepError, match="data.overlaps"):
        build_dataset(spec, "train")


def test_noise_activities_set_the_share_of_clean_mixtures(mini_open_corpus: Path) -> None:
    """``data.noise_activities`` (the campaign's remedy for drifting from clean voices): [0.0] gives clean noisy-task
    mixtures, equal to the clean task's; the default keeps one activity in three at 0."""
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_noisy", "segment": 1.0, "n_items": 4}
    assert build_dataset(spec, "train").activities == (0.0, 0.5, 1.0)
    quiet = build_dataset({**spec, "noise_activities": [0.0]}, "train")
    clean = build_dataset({**spec, "task": "sep_clean"}, "train")
    for i in range(4):
        torch.testing.assert_close(quiet[i][0], clean[i][0])
    noisy = build_dataset({**spec, "noise_activities": [1.0]}, "train")
    assert any(not torch.equal(noisy[i][0], clean[i][0]) for i in range(4))


@pytest.mark.parametrize("bad", [[], [-0.5], [1.5], ["loud"], None])
def test_bad_noise_activities_are_one_line_errors(mini_open_corpus: Path, bad: object) -> None:
    spec = {"corpus": "open", "root": str(mini_open_corpus), "task": "sep_noisy", "noise_activities": bad}
    with pytest.raises(SlimsepError, match=r"data.noise_activities.*\[0, 1\]"):
        build_dataset(spec, "train")


def test_a_loader_of_its_own_needs_no_files_on_disk(mini_open_corpus: Path) -> None:
    """The recipe controls' pack holds the audio in memory: its manifest paths name no files, so a dataset given
    its own loader skips the on-disk check (and reads through that loader)."""
    for wav in mini_open_corpus.rglob("*.wav"):
        wav.unlink()
    with pytest.raises(SlimsepError, match="does not exist"):
        DynamicMixDataset(mini_open_corpus, "train", segment=1.0, n_items=2, task="sep_clean")
    data = DynamicMixDataset(mini_open_corpus, "train", segment=1.0, n_items=2, task="sep_clean",
                             load=lambda path: np.full(8000, 0.1, dtype=np.float32))
    mix, sources = data[0]
    assert mix.shape[-1] == 8000 and torch.isfinite(sources).all()


def test_single_talker_items_have_one_silent_reference_and_a_mixture_without_it(mini_open_corpus: Path) -> None:
    plain = DynamicMixDataset(mini_open_corpus, segment=1.5, n_items=40, seed=2, task="sep_clean")
    lone = DynamicMixDataset(mini_open_corpus, segment=1.5, n_items=40, seed=2, task="sep_clean", single_talker=0.5)
    silent = 0
    for i in range(40):
        (mix_a, ref_a), (mix_b, ref_b) = plain[i], lone[i]
        absent = ref_b.pow(2).sum(-1) == 0
        if absent.any():
            silent += 1
            kept = int((~absent).nonzero()[0, 0])
            assert torch.equal(ref_b[kept], ref_a[kept]) and torch.allclose(mix_b, ref_a[kept])
        else:
            assert torch.equal(mix_a, mix_b) and torch.equal(ref_a, ref_b)
    assert 10 <= silent <= 30


@pytest.mark.parametrize("bad", [1.0, -0.1, "half"])
def test_a_bad_single_talker_share_is_one_line(mini_open_corpus: Path, bad: object) -> None:
    with pytest.raises(SlimsepError, match=r"single_talker must be a share in \[0, 1\)"):
        DynamicMixDataset(mini_open_corpus, segment=1.0, n_items=2, single_talker=bad)
