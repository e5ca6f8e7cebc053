"""Every reader maps a WHAM!-style task to its mixture the same way and refuses another task with one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from slimsep.data import DynamicMixDataset, build_dataset
from slimsep.data.conditions import ConditionDataset
from slimsep.data.folders import task_mixture
from slimsep.errors import SlimsepError


def test_tasks_name_their_mixture() -> None:
    assert task_mixture("sep_clean") == "mix_clean" and task_mixture("sep_noisy") == "mix_both"


@pytest.mark.parametrize("corpus", ["wham", "libri2mix"])
def test_corpus_readers_refuse_an_unknown_task(corpus: str, tmp_path: Path) -> None:
    with pytest.raises(SlimsepError, match="^unknown task 'enhance'; choose from sep_clean, sep_noisy$"):
        build_dataset({"corpus": corpus, "root": str(tmp_path), "task": "enhance"}, "train")


def test_open_corpus_readers_refuse_an_unknown_task(mini_open_corpus: Path) -> None:
    with pytest.raises(SlimsepError, match="^unknown task 'enhance'"):
        DynamicMixDataset(mini_open_corpus, task="enhance")
    with pytest.raises(SlimsepError, match="^unknown task 'enhance'"):
        ConditionDataset(mini_open_corpus / "test" / "ov50_na0", task="enhance")
