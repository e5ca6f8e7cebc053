"""SI-SDRi of the shipped model on the demo mixture at other input levels, with a DC offset, and as int16.

    python benchmarks/level_sweep.py [--model default] [--window 10]

The `slimsep demo` mixture (two codec2-examples talkers, fetched once) is scaled to a mixture RMS of 0 to -60 dBFS,
or given a DC offset at its own level; each row is separated with ``Separator.separate`` and scored against the
unshifted references (PIT SI-SDR, zero-mean). The last row feeds the mixture as an int16 array (the same samples a
16-bit WAV holds) and gives the SNR in dB between its estimates and those of the float array it came from. Prints a
Markdown table; GMAC/s is the network's (the gates' choice, so quiet input that makes the gates go slim shows here).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from slimsep.evaluation.metrics import separation_metrics
from slimsep.inference import Separator
from slimsep.inference.demo import demo_mixture

LEVELS_DBFS = (0, -10, -20, -30, -40, -50, -60)
DC_OFFSETS = (0.01, 0.1, 0.25, 0.5)


def score(sep: Separator, mix_in: np.ndarray, mix: np.ndarray, refs: np.ndarray) -> tuple[float, float]:
    """(SI-SDRi in dB of the estimates for ``mix_in`` against ``refs`` scaled like it, GMAC/s)."""
    est, report = sep.separate(mix_in, sep.sample_rate)
    scores = separation_metrics(torch.from_numpy(est), torch.from_numpy(refs), torch.from_numpy(mix), sdr=False)
    return scores["si_sdri"], report["gmac_per_s"]


def snr_db(a: np.ndarray, b: np.ndarray) -> float:
    """10 log10(|a|^2 / |a - b|^2)."""
    return float(10 * np.log10(np.sum(a.astype(np.float64) ** 2) / max(np.sum((a - b).astype(np.float64) ** 2),
                                                                         1e-30)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sep = Separator.from_pretrained(args.model, window=args.window)
    mix, refs = demo_mixture(sep.sample_rate)
    rms_db = 20 * np.log10(np.sqrt(np.mean(mix ** 2)))
    rows = [(f"as built by the demo (RMS {rms_db:.1f} dBFS)", *score(sep, mix, mix, refs))]
    for level in LEVELS_DBFS:
        g = np.float32(10 ** ((level - rms_db) / 20))
        rows.append((f"mixture RMS {level} dBFS", *score(sep, mix * g, mix * g, refs * g)))
    for dc in DC_OFFSETS:
        rows.append((f"DC offset {dc:g} (RMS {rms_db:.1f} dBFS)", *score(sep, mix + np.float32(dc), mix, refs)))
    peak = float(np.max(np.abs(mix)))
    as_int16 = np.round(mix / peak * 0.5 * 32767).astype(np.int16)
    as_float = as_int16.astype(np.float32) / 32768
    est_i, _ = sep.separate(as_int16, sep.sample_rate)
    est_f, _ = sep.separate(as_float, sep.sample_rate)
    print("| input | SI-SDRi [dB] | GMAC/s |\n|---|---:|---:|")
    for name, si, gmac in rows:
        print(f"| {name} | {si:.2f} | {gmac:.3f} |")
    print(f"\nint16 array vs the same samples as float32 (x / 32768): estimates agree to {snr_db(est_f, est_i):.1f} dB "
          f"SNR")


if __name__ == "__main__":
    main()
