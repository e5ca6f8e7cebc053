"""Corpus readers on fake trees in each layout, including the ways real trees go wrong."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from slimsep.data import build_dataset
from slimsep.errors import SlimsepError
from tests.data.conftest import tone, wham_split, write

NAMES = ["a_1.2_b_-1.2.wav", "c_0.5_d_-0.5.wav"]


def test_wsj0_2mix_layout(tmp_path: Path) -> None:
    wham_split(tmp_path / "2speakers/wav8k/min/tt", NAMES, folders=("mix", "s1", "s2"))
    data = build_dataset({"corpus": "wsj0-2mix", "root": str(tmp_path)}, "test")
    mix, sources = data[1]
    assert len(data) == 2 and sources.shape == (2, mix.shape[0])
    assert data.item_info(0)["id"] == "a_1.2_b_-1.2"


@pytest.mark.parametrize("task,mix_dir", [("sep_clean", "mix_clean"), ("sep_noisy", "mix_both")])
def test_wham_tasks_pick_their_mixture(tmp_path: Path, task: str, mix_dir: str) -> None:
    wham_split(tmp_path / "wav8k/min/cv", NAMES)
    data = build_dataset({"corpus": "wham", "root": str(tmp_path), "task": task}, "valid")
    assert Path(data.item_info(0)["mixture_path"]).parent.name == mix_dir


def test_training_crops_and_logged_drops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    wham_split(tmp_path / "wav8k/min/tr", NAMES)  # 1.0 s and 1.1 s
    with caplog.at_level("INFO"):
        data = build_dataset({"corpus": "wham", "root": str(tmp_path), "segment": 1.05}, "train")
    assert len(data) == 1 and "dropped 1 of 2" in caplog.text
    mix, sources = data[0]
    assert mix.shape == (8400,) and sources.shape == (2, 8400)


def _libri(root: Path) -> Path:
    base = root / "Libri2Mix/wav8k/min"
    wham_split(base / "test", NAMES)
    rows = ["mixture_ID,mixture_path,source_1_path,source_2_path,length"]
    for n in NAMES:
        d = base / "test"
        rows.append(f"{n[:-4]},{d / 'mix_clean' / n},{d / 's1' / n},{d / 's2' / n},8000")
    write_csv = base / "metadata/mixture_test_mix_clean.csv"
    write_csv.parent.mkdir(parents=True)
    write_csv.write_text("\n".join(rows) + "\n")
    return root


def test_libri2mix_from_csv_and_after_moving(tmp_path: Path) -> None:
    original = _libri(tmp_path / "orig")
    data = build_dataset({"corpus": "libri2mix", "root": str(original)}, "test")
    assert len(data) == 2
    moved = tmp_path / "moved"
    shutil.move(str(original), moved)  # the CSV's absolute paths now point nowhere
    data = build_dataset({"corpus": "libri2mix", "root": str(moved)}, "test")
    assert str(moved) in data.item_info(0)["mixture_path"]
    assert torch.isfinite(data[0][0]).all()


def test_wrong_sample_rate_is_a_clear_error(tmp_path: Path) -> None:
    wham_split(tmp_path / "wav8k/min/tt", NAMES)
    write(tmp_path / "wav8k/min/tt/s1" / NAMES[0], tone(1.0, 300, sr=16000), sr=16000)
    data = build_dataset({"corpus": "wham", "root": str(tmp_path)}, "test")
    with pytest.raises(SlimsepError, match=r"s1/a_1.2_b_-1.2.wav: sample rate is 16000 Hz, expected 8000 Hz"):
        data[0]


def test_missing_source_file_is_named(tmp_path: Path) -> None:
    wham_split(tmp_path / "wav8k/min/tt", NAMES)
    (tmp_path / "wav8k/min/tt/s2" / NAMES[1]).unlink()
    with pytest.raises(SlimsepError, match=r"s2: missing 1 source file\(s\).*c_0.5_d_-0.5.wav"):
        build_dataset({"corpus": "wham", "root": str(tmp_path)}, "test")


def test_empty_folder_and_wrong_root(tmp_path: Path) -> None:
    (tmp_path / "wav8k/min/tt/mix_clean").mkdir(parents=True)
    with pytest.raises(SlimsepError, match="mix_clean: no .wav files"):
        build_dataset({"corpus": "wham", "root": str(tmp_path)}, "test")
    with pytest.raises(SlimsepError, match="no wav8k/min folder"):
        build_dataset({"corpus": "wsj0-2mix", "root": str(tmp_path / "elsewhere")}, "test")
    with pytest.raises(SlimsepError, match="unknown corpus"):
        build_dataset({"corpus": "timit"}, "test")


def test_rate_mismatch_of_generated_data_names_it_once() -> None:
    """A generated set has no file to name: the message names the data once (it used to say it twice)."""
    from types import SimpleNamespace

    from slimsep.data.factory import check_sample_rate

    with pytest.raises(SlimsepError, match=r"^The training data is at 16000 Hz, the model runs at 8000 Hz") as caught:
        check_sample_rate(SimpleNamespace(sample_rate=16000), 8000, "the training data")
    assert str(caught.value).lower().count("the training data") == 1
