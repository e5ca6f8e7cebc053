"""The typed training config: frozen sections, one-line type errors, and a lossless dict round trip."""
from __future__ import annotations

import dataclasses
import re

import pytest

from slimsep.errors import SlimsepError
from slimsep.training import TrainConfig, load_config
from slimsep.training.config import merge
from slimsep.yaml_file import read_yaml
from tests.training.conftest import REPO

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


def test_sections_are_frozen() -> None:
    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.optim.lr = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.stage = "gate"  # type: ignore[misc]


@pytest.mark.parametrize("override,key,expected", [
    ("optim.lr=fast", "optim.lr", "a number"),
    ("trainer.max_steps=1.5", "trainer.max_steps", "a whole number"),
    ("trainer.compile=3", "trainer.compile", "true or false"),
    ("loader.num_workers=many", "loader.num_workers", "a whole number or 'auto'"),
    ("gate.widths=[0.5,x]", "gate.widths", "a list of numbers or null"),
    ("seed=true", "seed", "a whole number"),
])
def test_a_value_of_the_wrong_type_is_one_line_naming_the_key(override: str, key: str, expected: str) -> None:
    with pytest.raises(SlimsepError) as caught:
        load_config(REPO / "configs" / "tiny_synthetic.yaml", [override])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"config entry '{key}' must be {expected}, got ")


def test_a_mistyped_value_in_a_file_names_the_file(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "bad.yaml"
    path.write_text("trainer: {max_steps: many}\n")
    with pytest.raises(SlimsepError, match=rf"^{re.escape(str(path))}: config entry 'trainer.max_steps' must be"):
        load_config(path)


def test_an_unknown_key_names_the_nearest_field() -> None:
    with pytest.raises(SlimsepError, match=r"^unknown config key 'sandwich.random_width'; "
                                           r"did you mean 'sandwich.random_widths'\?$"):
        load_config(None, ["sandwich.random_width=2"])


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_dict_to_typed_to_dict_is_the_resolved_config(path) -> None:  # noqa: ANN001
    resolved = merge(TrainConfig().to_dict(), read_yaml(path))
    assert TrainConfig.from_dict(resolved).to_dict() == resolved
    assert load_config(path).to_dict() == resolved


def test_the_gate_weight_keeps_its_yaml_key() -> None:
    """``lambda`` is a Python keyword: the field is ``lambda_``, the key in YAML, --set and model files ``lambda``."""
    cfg = load_config(None, ["gate.lambda=0.7"])
    assert cfg.gate.lambda_ == 0.7 and cfg.to_dict()["gate"]["lambda"] == 0.7


def test_the_regret_objective_refuses_a_separator_learning_rate() -> None:
    """The regret loss has no separation term: a separator_lr > 0 would silently train nothing but the gates."""
    gate_config = REPO / "configs" / "small_open_campaign_gate.yaml"
    with pytest.raises(SlimsepError) as caught:
        load_config(gate_config, ["gate.objective=regret", "gate.separator_lr=1e-4"])
    assert "\n" not in str(caught.value) and "gate.separator_lr must be 0" in str(caught.value)
    assert load_config(gate_config, ["gate.objective=regret"]).gate.separator_lr == 0
    assert load_config(gate_config, ["gate.separator_lr=1e-4"]).gate.separator_lr == 1e-4
