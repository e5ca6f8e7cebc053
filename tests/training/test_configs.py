"""Every shipped YAML config loads, names a known stage and corpus, and overrides apply."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from slimsep.data.factory import BUILDERS
from slimsep.errors import SlimsepError
from slimsep.models import NAMED_CONFIGS
from slimsep.training import load_config
from tests.training.conftest import REPO

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_is_valid(path) -> None:  # noqa: ANN001
    cfg = load_config(path)
    assert cfg.data["corpus"] in BUILDERS
    assert cfg.model.name in NAMED_CONFIGS


def test_overrides_parse_values() -> None:
    cfg = load_config(CONFIGS[0], ["optim.lr=3e-3", "trainer.max_steps=7", "gate.target_cost=null", "data.root=x"])
    assert cfg.optim.lr == 0.003 and cfg.trainer.max_steps == 7 and cfg.gate.target_cost is None


@pytest.mark.parametrize("override,key,hint", [
    ("trainer.max_step=5", "trainer.max_step", "trainer.max_steps"),
    ("gate.lamda=0.3", "gate.lamda", "gate.lambda"),
    ("data.sample_rat=16000", "data.sample_rat", "data.sample_rate"),  # the synthetic corpus takes sample_rate
    ("optimizer.lr=0.1", "optimizer", "optim"),
    ("model.overrides.d_modle=64", "model.overrides.d_modle", "model.overrides.d_model"),
])
def test_misspelt_keys_are_refused_with_the_nearest_valid_one(override: str, key: str, hint: str) -> None:
    with pytest.raises(SlimsepError, match=rf"unknown config key '{re.escape(key)}'.*'{re.escape(hint)}'"):
        load_config(REPO / "configs" / "tiny_synthetic.yaml", [override])


def test_data_keys_follow_the_corpus() -> None:
    """``sample_rate`` is a key of the corpus readers, not of the open corpus (always 8 kHz); ``speed_range`` of the
    open corpus only."""
    assert load_config(REPO / "configs" / "paper_wham_slimmable.yaml", ["data.sample_rate=16000"])
    with pytest.raises(SlimsepError, match="data.sample_rate"):
        load_config(REPO / "configs" / "small_open_slimmable.yaml", ["data.sample_rate=16000"])
    with pytest.raises(SlimsepError, match="data.speed_range"):
        load_config(REPO / "configs" / "paper_wham_slimmable.yaml", ["data.speed_range=[0.9,1.1]"])


@pytest.mark.parametrize("key", ["pitch_range", "gain_range", "mix_gain_range"])
def test_open_corpus_augmentation_keys_are_accepted(key: str) -> None:
    """Every training option the open corpus's dynamic mixing reads is a valid ``data.`` key."""
    cfg = load_config(REPO / "configs" / "small_open_slimmable.yaml", [f"data.{key}=[-2,2]"])
    assert cfg.data[key] == [-2, 2]


def test_a_misspelt_key_in_a_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("stage: slimmable\ntrainer: {max_step: 5}\n")
    with pytest.raises(SlimsepError, match=rf"{re.escape(str(path))}: unknown config key 'trainer.max_step'"):
        load_config(path)


def test_a_yaml_syntax_error_is_one_line_naming_the_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("trainer:\n  max_steps: [1, 2\nseed: 0\n")
    with pytest.raises(SlimsepError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: not valid YAML (line 3, column 5: expected ',' or ']', but got ':')"
