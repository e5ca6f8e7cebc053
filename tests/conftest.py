"""Shared fixtures: small models and signals every test can afford on a CPU."""
from __future__ import annotations

import pytest
import torch

from slimsep.models import DSN, get_config


@pytest.fixture(autouse=True)
def _deterministic() -> None:
    torch.manual_seed(0)


@pytest.fixture
def tiny_model() -> DSN:
    return DSN(get_config("tiny")).eval()


def randomise(model: DSN, scale: float = 0.3) -> DSN:
    """Give every parameter (norms and biases too) random values, so slicing errors cannot hide."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(scale * torch.randn_like(p))
    return model
