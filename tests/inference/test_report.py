"""The separation report: the network's GMAC/s apart from the cost of re-processing window overlaps."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimsep.inference import Separator


def test_network_gmac_per_s_does_not_count_the_overlap_twice(tiny_model_file: Path) -> None:
    """At one static width the network costs the same per second of audio whether the input fits one window or
    needs several; the re-processed overlap is reported on its own and in the total."""
    sep = Separator.from_pretrained(tiny_model_file, window=2.0, overlap=0.5, width=1.0)
    audio = np.random.default_rng(0).standard_normal(8000 * 7).astype(np.float32) * 0.1
    _, one = sep.separate(audio[:16000], 8000)
    _, many = sep.separate(audio, 8000)
    assert one["windows"] == 1 and one["overlap_overhead"] == 0.0
    assert many["windows"] == 5 and many["overlap_overhead"] == pytest.approx(4 * 0.5 / 7.0)
    assert many["gmac_per_s"] == pytest.approx(one["gmac_per_s"], rel=0.05)
    assert many["gmac_per_s_with_overlap"] == pytest.approx(many["gmac_per_s"] * (1 + many["overlap_overhead"]))
