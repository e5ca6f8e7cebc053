"""Does a lone talker come out in one output? The louder output's share of the outputs' energy where one talks.

SI-SDR with PIT says nothing about a silent reference, so a model can split a lone voice across both outputs and
still score well on two-talker mixtures. This measure looks only at the stretches where exactly one reference is
active: over each such run (the same talker alone), the louder output's share of the two outputs' energy, 1.0 when
the voice sits in one output and 0.5 when it is split evenly. Runs are pooled weighted by their length.
"""
from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.02
ACTIVE_BELOW_PEAK_DB = -40.0  # a reference frame is active within this of the loudest frame of both references
MIN_RUN_SECONDS = 0.25  # shorter single-talker runs (word gaps, onsets) are too short to judge


def frame_energies(x: np.ndarray, frame: int) -> np.ndarray:
    """``x`` [..., samples] -> [..., frames] mean squared value per frame (the tail shorter than a frame dropped)."""
    n = x.shape[-1] // frame
    return np.square(x[..., :n * frame].astype(np.float64)).reshape(*x.shape[:-1], n, frame).mean(-1)


def lone_runs(references: np.ndarray, frame: int) -> list[tuple[int, int]]:
    """Frame ranges [start, stop) where exactly one of ``references`` [2, samples] is active, split where the lone
    talker changes, at least ``MIN_RUN_SECONDS`` long (given ``frame`` samples per 20 ms)."""
    energy = frame_energies(references, frame)
    active = energy > energy.max() * 10 ** (ACTIVE_BELOW_PEAK_DB / 10)
    who = np.where(active[0] & ~active[1], 0, np.where(active[1] & ~active[0], 1, -1))
    runs, start = [], 0
    for i in range(1, who.shape[0] + 1):
        if i == who.shape[0] or who[i] != who[start]:
            if who[start] >= 0 and (i - start) * FRAME_SECONDS >= MIN_RUN_SECONDS:
                runs.append((start, i))
            start = i
    return runs


def lone_talker_share(estimates: np.ndarray, references: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(share, seconds): the louder output's share of ``estimates`` [2, samples] energy over the single-talker runs
    of ``references`` [2, samples] (a silent reference: the whole signal is one run), and how many seconds those
    runs cover; (nan, 0.0) when there is no such run. Raises ValueError for shapes other than [2, samples]."""
    if estimates.shape != references.shape or estimates.shape[0] != 2:
        raise ValueError(f"estimates {estimates.shape} and references {references.shape} must both be [2, samples]")
    frame = int(FRAME_SECONDS * sample_rate)
    out = frame_energies(estimates, frame)
    shares, lengths = [], []
    for start, stop in lone_runs(references, frame):
        energy = out[:, start:stop].sum(-1)
        if energy.sum() > 0:
            shares.append(energy.max() / energy.sum())
            lengths.append(stop - start)
    if not lengths:
        return float("nan"), 0.0
    return float(np.average(shares, weights=lengths)), sum(lengths) * FRAME_SECONDS
