"""The lone-talker measure: the louder output's share of the energy where one talker speaks alone."""
from __future__ import annotations

import numpy as np
import pytest

from slimsep.evaluation.lone_talker import lone_runs, lone_talker_share

SR = 8000


def _voice(seconds: float, f0: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (np.sin(2 * np.pi * f0 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def _turns() -> np.ndarray:
    """A alone 0-1 s, both 1-2 s, B alone 2-3 s."""
    a, b = np.zeros(3 * SR, np.float32), np.zeros(3 * SR, np.float32)
    a[:2 * SR], b[SR:] = _voice(2, 150), _voice(2, 230)
    return np.stack([a, b])


def test_runs_are_the_single_talker_stretches_split_where_the_talker_changes() -> None:
    runs = lone_runs(_turns(), SR // 50)
    assert [(round(s * 0.02, 2), round(e * 0.02, 2)) for s, e in runs] == [(0.0, 1.0), (2.0, 3.0)]


def test_a_voice_kept_in_one_output_scores_one_and_a_split_voice_one_half() -> None:
    refs = _turns()
    assert lone_talker_share(refs, refs, SR) == pytest.approx((1.0, 2.0))
    split = np.stack([refs.sum(0) / 2, refs.sum(0) / 2])
    assert lone_talker_share(split, refs, SR)[0] == pytest.approx(0.5)
    swapped = refs[::-1].copy()  # each lone stretch in one output, whichever it is
    assert lone_talker_share(swapped, refs, SR)[0] == pytest.approx(1.0)


def test_single_talker_input_is_one_run_and_no_lone_stretch_is_nan() -> None:
    voice = _voice(2, 180)
    refs = np.stack([voice, np.zeros_like(voice)])
    share, seconds = lone_talker_share(np.stack([0.8 * voice, 0.2 * voice]), refs, SR)
    assert share == pytest.approx(0.64 / 0.68) and seconds == pytest.approx(2.0)
    both = np.stack([voice, _voice(2, 250)])
    assert np.isnan(lone_talker_share(both, both, SR)[0])
    with pytest.raises(ValueError, match="must both be"):
        lone_talker_share(voice[None], refs, SR)
