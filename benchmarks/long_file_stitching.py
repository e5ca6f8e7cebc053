"""Does a talker stay in one output across the windows of a long file? A 36 s case from real recordings.

    python benchmarks/long_file_stitching.py [--model default] [--seconds 36] [--b-from 12] [--width 1]
    python benchmarks/long_file_stitching.py --turns   # 14 s, A alone then B alone, at every width

Talker A (codec2-examples ve9qrp.wav, speech received over HF radio) speaks throughout, "talker" B (david4.wav) from
``--b-from`` s, at equal RMS. david4.wav is not speech: it is an off-air FreeDV 2020 modem signal (codec2 tests its
modem's acquisition on it), a constant-level multi-carrier tone at 0.7-2.2 kHz with no voiced frame (README, "Shipped
model and results"), so B here is a steady non-speech interferer rather than a second talker;
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


def turns(seconds: float = 14.0, switch: float = 7.0, sr: int = 8000) -> tuple[np.ndarray, np.ndarray]:
    """(mixture, references [2, T]): talker A (ve9qrp.wav) alone until ``switch`` s, then B (vk5qi.wav, speech)
    alone: at 14 s the two windows share 6-8 s, so the overlap holds A then B (issue 45, item 12)."""
    folder = fetch_package("codec2-examples") / "usr/share/codec2/wav"
    n, k = int(seconds * sr), int(switch * sr)
    refs = np.zeros((2, n), np.float32)
    for i, (name, span) in enumerate((("ve9qrp.wav", slice(0, k)), ("vk5qi.wav", slice(k, n)))):
        v = read_audio(folder / name, expected_sr=sr)[0][0][:span.stop - span.start]
        refs[i, span] = v / np.sqrt(np.mean(v ** 2)) * 0.05
    return refs.sum(0), refs


def turns_table(model: str | None) -> None:
    """SI-SDRi of the 14-s turn-taking file at every width: stitched, with the other speaker order forced at the
    window border, and in one 14-s window (no border): what stitching can and cannot change."""
    import slimsep.inference.stitching as stitching
    mix, refs = turns()
    chosen = stitching.best_alignment
    print("| width | stitched SI-SDRi [dB] | other order at the border | one 14-s window |")
    print("|---|---:|---:|---:|")
    for width in (None, 1.0, 0.5, 0.25, 0.125):
        fixed = {} if width is None else {"width": width}
        scores = []
        for flip in (False, True):
            stitching.best_alignment = (lambda p, c: flipped(*chosen(p, c))) if flip else chosen
            scores.append(si_sdri(Separator.from_pretrained(model, **fixed).separate(mix, 8000)[0], refs, mix))
        stitching.best_alignment = chosen
        scores.append(si_sdri(Separator.from_pretrained(model, window=14.0, **fixed).separate(mix, 8000)[0], refs, mix))
        print(f"| {'gates' if width is None else f'{width:g}'} | " + " | ".join(f"{v:.2f}" for v in scores) + " |")


def flipped(order: tuple[int, ...], signs: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    return order[::-1], signs[::-1]


def si_sdri(est: np.ndarray, refs: np.ndarray, mix: np.ndarray) -> float:
    return separation_metrics(*(torch.from_numpy(v) for v in (est, refs, mix)), sdr=False)["si_sdri"]


def share(out: np.ndarray, ref: np.ndarray) -> float:
    energy = float(np.dot(ref, ref))
    return float(np.dot(out, ref)) / energy if energy > 0 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--seconds", type=float, default=36.0)
    parser.add_argument("--b-from", type=float, default=12.0)
    parser.add_argument("--width", type=float, default=None, help="every chunk at this width (default: the gates)")
    parser.add_argument("--turns", action="store_true", help="the 14-s turn-taking file at every width instead")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.turns:
        return turns_table(args.model)
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
