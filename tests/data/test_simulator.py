"""The simulator makes what was asked: overlap and noise activity measured back from the written files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.data.conditions import find_conditions, read_metadata, rebuild_condition, write_condition
from slimsep.data.simulator import layout

FRAME = 80  # 10 ms at 8 kHz


def _support(x: np.ndarray) -> np.ndarray:
    return np.abs(x) > 0


@pytest.mark.parametrize("overlap,activity", [(1.0, 0.0), (0.5, 0.5), (0.25, 1.0)])
def test_overlap_and_noise_activity_match_the_request(mini_open_corpus: Path, overlap: float,
                                                      activity: float) -> None:
    name = write_condition(mini_open_corpus, "test", overlap, activity, count=4, seed=3)
    folder = mini_open_corpus / "test" / name
    for recipe in read_metadata(folder):
        read = lambda kind: sf.read(folder / kind / f"{recipe.mixture_id}.wav", dtype="float32")[0]  # noqa: E731
        s1, s2, noise = _support(read("s1")), _support(read("s2")), _support(read("noise"))
        T = s1.size
        assert abs((s1 & s2).sum() - overlap * T) <= FRAME
        assert abs(noise.sum() - activity * T) <= FRAME
        assert (s1 | s2).mean() > 0.999, "no silent gap between the talkers (zero crossings aside)"
        mix = read("mix_both")
        np.testing.assert_allclose(mix, read("s1") + read("s2") + read("noise"), atol=1e-6)


def test_metadata_rebuilds_every_mixture_bit_exactly(mini_open_corpus: Path, tmp_path: Path) -> None:
    name = write_condition(mini_open_corpus, "test", 0.5, 1.0, count=3, seed=7)
    folder = mini_open_corpus / "test" / name
    assert rebuild_condition(mini_open_corpus, folder, tmp_path / "again") == 3
    for kind in ("mix_both", "s1", "s2", "noise"):
        for wav in sorted((folder / kind).glob("*.wav")):
            assert np.array_equal(sf.read(wav)[0], sf.read(tmp_path / "again" / kind / wav.name)[0]), wav


def test_layout_formula() -> None:
    for overlap in (1.0, 0.5, 0.25):
        L, offset = layout(8000, 9000, overlap, None)
        total = offset + L
        assert L == 8000 and abs((L - offset) - overlap * total) <= 1


def test_conditions_are_found_with_their_labels(mini_open_corpus: Path) -> None:
    write_condition(mini_open_corpus, "test", 0.25, 0.5, count=2, seed=0)
    found = find_conditions(mini_open_corpus)
    assert list(found) == ["ov25_na50"]
    mix, sources = found["ov25_na50"][0]
    assert sources.shape == (2, mix.shape[0])
    assert found["ov25_na50"].item_info(0)["overlap"] == 0.25
