"""Every shipped YAML config loads, names a known stage and corpus, and overrides apply."""
from __future__ import annotations

import pytest

from slimsep.data.factory import BUILDERS
from slimsep.models import NAMED_CONFIGS
from slimsep.training import load_config
from tests.training.conftest import REPO

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_config_is_valid(path) -> None:  # noqa: ANN001
    cfg = load_config(path)
    assert cfg["data"]["corpus"] in BUILDERS
    assert cfg["model"]["name"] in NAMED_CONFIGS


def test_overrides_parse_values() -> None:
    cfg = load_config(CONFIGS[0], ["optim.lr=3e-3", "trainer.max_steps=7", "gate.target_cost=null", "data.root=x"])
    assert cfg["optim"]["lr"] == 0.003 and cfg["trainer"]["max_steps"] == 7 and cfg["gate"]["target_cost"] is None
