"""The shipped model on a 36 s real-speech file (talker A throughout, B from 12 s): talkers and signs kept across
windows. The mixture is built by benchmarks/long_file_stitching.py, which prints the full table."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.long_file_stitching import build, share
from slimsep.inference import Separator
from tests.conftest import needs_codec2


@needs_codec2
@pytest.mark.slow
def test_one_talker_stays_in_one_output_across_windows() -> None:
    """Before: A in output 2 for 0-8 s and output 1 for 8-12 s (a window border), output 2 negated, and the outputs
    added up to the mixture at -2.1 dB SNR (a negated output).

    The stitched run (10-s windows) is compared with one pass over the whole file (no window border), per 2-s block
    where both clearly give A to one output (correlations 0.2 apart): the network itself may move a lone talker
    between its outputs inside one pass (the 2026-12-06 default does, at 2 and 6 s, in either run), which says
    nothing about stitching; stitching must not add a move of its own at the 8-10 s window overlap."""
    mix, refs = build(36.0, 12.0)
    est, report = Separator.from_pretrained().separate(mix, 8000)
    whole, single = Separator.from_pretrained(window=40.0).separate(mix, 8000)
    assert report["windows"] == 5 and single["windows"] == 1
    step = 16000

    def holders(e: np.ndarray) -> list[int | None]:
        rows = [[abs(share(x[s:s + step], refs[0, s:s + step])) for x in e] for s in range(0, 12 * 8000, step)]
        return [int(np.argmax(row)) if abs(row[0] - row[1]) > 0.2 else None for row in rows]

    pairs = [(a, b) for a, b in zip(holders(est), holders(whole)) if a is not None and b is not None]
    assert len(pairs) >= 4 and all(a == b for a, b in pairs), pairs  # A alone for 12 s, across the window overlap
    assert all(share(e[s:s + step], mix[s:s + step]) > 0 for e in est for s in range(0, mix.size, step))

    def sum_snr(e: np.ndarray) -> float:  # how well the two outputs add up to the mixture [dB]
        return float(10 * np.log10(np.sum(mix ** 2) / np.sum((mix - e.sum(0)) ** 2)))

    # A negated output made this -2.1 dB. How close the sum comes is the network's own (the day-8 default: 3.3 dB
    # in one pass; no mixture-consistency projection), so stitching is held to the single pass, not to a number.
    assert sum_snr(est) > max(0.0, sum_snr(whole) - 1.0), (sum_snr(est), sum_snr(whole))
