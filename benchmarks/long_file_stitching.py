"""Does a talker stay in one output across the windows of a long file? A 36 s real-speech case.

    python benchmarks/long_file_stitching.py [--model default] [--seconds 36] [--b-from 12] [--width 1]

Talker A (codec2-examples ve9qrp.wav) speaks throughout, talker B (david4.wav) from ``--b-from`` s, at equal RMS;
the mixture goes through ``Separator.separate`` (windows of at most 10 s sharing 2 s). For each 2 s bin the table
gives, per output, the signed share of talker A's and talker B's energy it carries (<out, ref> / <ref, ref>: 1 =
the talker at its level, negative = sign-inverted) and the output that holds A; above it, the SNR at which the
outputs add up to the mixture and the PIT SI-SDRi over the span where both talk. Fetch the recordings once with
`slimsep data fetch codec2-examples`.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

from slimsep.audio import read_audio
from slimsep.data.debian import fetch_package
from slimsep.evaluation.metrics import separation_metrics
from slimsep.inference import Separator


def build(seconds: float, b_from: float, sr: int = 8000) -> tuple[np.ndarray, np.ndarray]:
    """(mixture [T], references [2, T]): A throughout, B from ``b_from`` s, both at 0.05 RMS where active."""
    folder = fetch_package("codec2-examples") / "usr/share/codec2/wav"
    n, start = int(seconds * sr), int(b_from * sr)
    a = read_audio(folder / "ve9qrp.wav", expected_sr=sr)[0][0][:n]
    b = read_audio(folder / "david4.wav", expected_sr=sr)[0][0][:n - start]
    refs = np.zeros((2, n), np.float32)
    refs[0, :a.size] = a / np.sqrt(np.mean(a ** 2)) * 0.05
    refs[1, start:start + b.size] = b / np.sqrt(np.mean(b ** 2)) * 0.05
    return refs.sum(0), refs


def share(out: np.ndarray, ref: np.ndarray) -> float:
    energy = float(np.dot(ref, ref))
    return float(np.dot(out, ref)) / energy if energy > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--seconds", type=float, default=36.0)
    parser.add_argument("--b-from", type=float, default=12.0)
    parser.add_argument("--width", type=float, default=None, help="every chunk at this width (default: the gates)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sep = Separator.from_pretrained(args.model, **({} if args.width is None else {"width": args.width}))
    mix, refs = build(args.seconds, args.b_from, sep.sample_rate)
    est, report = sep.separate(mix, sep.sample_rate)
    sr, step = sep.sample_rate, 2 * sep.sample_rate
    both = slice(int(args.b_from * sr), mix.size)
    scores = separation_metrics(*(torch.from_numpy(v[..., both]) for v in (est, refs, mix)), sdr=False)
    print(f"{report['windows']} windows; outputs add up to the mixture at "
          f"{10 * np.log10(np.sum(mix ** 2) / np.sum((mix - est.sum(0)) ** 2)):.1f} dB SNR; SI-SDRi "
          f"{scores['si_sdri']:.2f} dB from {args.b_from:g} s on (both talkers, one output order for the whole span)")
    print("| seconds | A in out 1 | A in out 2 | B in out 1 | B in out 2 | A mostly in |")
    print("|---|---:|---:|---:|---:|---|")
    for s in range(0, mix.size - step + 1, step):
        cut = slice(s, s + step)
        a1, a2, b1, b2 = (share(est[k, cut], refs[r, cut]) for r in (0, 1) for k in (0, 1))
        print(f"| {s // sr}-{(s + step) // sr} | {a1:.2f} | {a2:.2f} | {b1:.2f} | {b2:.2f} | "
              f"out {1 if abs(a1) > abs(a2) else 2} |")


if __name__ == "__main__":
    main()
