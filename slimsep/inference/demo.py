"""The out-of-the-box demo: mix two real recordings from Debian's codec2-examples and separate them.

No audio ships with slimsep (docs/corpora.md: licences need attribution), so the demo fetches the smallest speech
package (~11 MB, cached) and builds a two-talker mixture whose references are known, which lets it report SI-SDRi.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from slimsep.atomic import write_json_atomic
from slimsep.audio import read_audio, write_audio
from slimsep.data.debian import fetch_package
from slimsep.evaluation.metrics import separation_metrics
from slimsep.inference.separator import Separator

PACKAGE = "codec2-examples"
TALKERS = ("hts1a.wav", "cross.wav")  # two different voices, 3 s each, native 8 kHz


def demo_mixture(sample_rate: int = 8000) -> tuple[np.ndarray, np.ndarray]:
    """(mixture [T], references [2, T]) at equal level, the second talker starting 1 s later."""
    folder = fetch_package(PACKAGE) / "usr/share/codec2/wav"
    voices = [read_audio(folder / name, expected_sr=sample_rate, max_channels=1)[0][0] for name in TALKERS]
    voices = [v / np.sqrt(np.mean(v ** 2)) * 0.05 for v in voices]
    offset = sample_rate
    length = max(voices[0].size, offset + voices[1].size)
    refs = np.zeros((2, length), np.float32)
    refs[0, :voices[0].size] = voices[0]
    refs[1, offset:offset + voices[1].size] = voices[1]
    return refs.sum(0), refs


def run_demo(separator: Separator, out: Path, budget: float = 0.0) -> dict:
    """Write mixture, references, estimates and a report into ``out``; returns the report."""
    mix, refs = demo_mixture(separator.sample_rate)
    est, report = separator.separate(mix, separator.sample_rate, budget=budget)
    scores = separation_metrics(torch.from_numpy(est), torch.from_numpy(refs), torch.from_numpy(mix))
    out.mkdir(parents=True, exist_ok=True)
    write_audio(out / "mixture.wav", mix, separator.sample_rate)
    for k in range(2):
        write_audio(out / f"reference{k + 1}.wav", refs[k], separator.sample_rate)
        write_audio(out / f"estimate{k + 1}.wav", est[k], separator.sample_rate)
    report = {**{k: round(v, 2) for k, v in scores.items()}, "sources": list(TALKERS), **report}
    write_json_atomic(out / "report.json", report, indent=2)
    return report
