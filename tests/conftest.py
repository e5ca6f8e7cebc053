"""Shared fixtures: small models and signals every test can afford on a CPU."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from slimsep.data.debian import unpacked_dir
from slimsep.models import DSN, get_config

# Real speech for end-to-end tests: .ci/run fetches it; without it those tests skip with this reason.
needs_codec2 = pytest.mark.skipif(not (unpacked_dir("codec2-examples") / ".complete").exists(),
                                  reason="codec2-examples not in the cache: run `slimsep data fetch codec2-examples`")


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


def voice_tone(seconds: float, freq: float, seed: int) -> np.ndarray:
    """A tone with a slow random envelope at 8 kHz: speech-like level changes, no silence (float32)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 8000)) / 8000
    env = 0.5 + 0.4 * np.sin(2 * np.pi * rng.uniform(1, 3) * t)
    return (0.3 * env * np.sin(2 * np.pi * freq * t)).astype(np.float32)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress bars draw into it. Set it inside the test body
    (``monkeypatch.setattr(sys, "stderr", Terminal())``): pytest's capture resets ``sys.stderr`` after fixtures."""

    def isatty(self) -> bool:
        return True

