"""What the training mixers hand the model, measured on an open-corpus root (issue 25's table):

    python scripts/check_pipeline.py --corpus corpus/ --n 40

One row per overlap setting of the dynamic mixer (slimsep.data.dynamic_mix, clean task, one setting per row) and
one for the tensor mixer (slimsep.data.tensor_mix, clean, its default overlap table 100/50/25 %), each over ``--n``
mixtures of ``--segment`` seconds from the split's speakers: the largest |mixture - (s1 + s2)|, the share of
references found at lag 0 and their gains in the mixture, the oracle STFT ratio mask's SI-SDRi, and the shares of
100-ms frames with both talkers active, one, none (slimsep.data.checks says how each is measured).
tests/data/test_pipeline_checks.py holds the thresholds; this script only reports.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from slimsep.data.checks import activity_fractions, mixture_consistency, oracle_irm_si_sdri, reference_alignment
from slimsep.data.dynamic_mix import DynamicMixDataset
from slimsep.data.pools import audio_loader, speaker_pools
from slimsep.data.tensor_mix import SourceBank, mix_batch


def row(name: str, mix: torch.Tensor, sources: torch.Tensor, rate: int) -> str:
    """One table row for a batch, mix [B, T] and sources [B, 2, T] at ``rate`` Hz."""
    residual = float(mixture_consistency(mix, sources).max())
    lag, gain = reference_alignment(mix, sources)
    irm = oracle_irm_si_sdri(mix, sources, rate)
    both, one, none = (100 * float(x.mean()) for x in activity_fractions(sources, rate))
    exact = "exactly" if residual == 0 else f"to {residual:.0e} (float32 rounding)" if residual < 1e-6 else (
        f"NO: max |diff| {residual:.1e}")
    return (f"| {name} | {exact} | {100 * float((lag == 0).float().mean()):.0f} % "
            f"({float(gain.min()):.2f}-{float(gain.max()):.2f}) | {float(irm.mean()):.1f} dB "
            f"(s.e. {float(irm.std() / len(irm) ** 0.5):.1f}) | {both:.0f} % | {one:.0f} % | {none:.0f} % |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="an open-corpus root (with manifest.csv)")
    parser.add_argument("--n", type=int, default=40, help="mixtures per row (default 40)")
    parser.add_argument("--segment", type=float, default=4.0, help="seconds per mixture (default 4)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--sample-rate", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bank-utterances", type=int, default=20,
                        help="utterances per speaker loaded into the tensor mixer's bank (default 20)")
    args = parser.parse_args(argv)
    if args.corpus is None:
        sys.exit("check_pipeline: give --corpus, an open-corpus root (e.g. corpus/)")
    if not (args.corpus / "manifest.csv").is_file():
        sys.exit(f"check_pipeline: {args.corpus}: no manifest.csv (not an open-corpus root)")
    rate = args.sample_rate
    print(f"{args.n} clean {args.split} mixtures of {args.segment:g} s per row from {args.corpus}\n")
    print("| mixer, overlap setting | mixture = s1 + s2 | refs at lag 0 (gain) | oracle STFT IRM SI-SDRi "
          "| both active | one | none |")
    print("|---|---|---|---:|---:|---:|---:|")
    for overlap in (1.0, 0.5, 0.25):
        data = DynamicMixDataset(args.corpus, args.split, args.segment, args.n, overlaps=(overlap,),
                                 task="sep_clean", seed=args.seed, sample_rate=rate)
        mix, sources = (torch.stack(parts) for parts in zip(*(data[i] for i in range(args.n))))
        print(row(f"dynamic {overlap:.0%}", mix, sources, rate))
    speakers, _ = speaker_pools(args.corpus, args.split)
    load = audio_loader(args.corpus)
    bank = SourceBank({name: [load(path) for path, _ in utterances[:args.bank_utterances]]
                       for name, utterances in speakers.items()})
    gen = torch.Generator().manual_seed(args.seed)
    mix, sources = mix_batch(bank, args.n, int(round(args.segment * rate)), gen)
    print(row("tensor 100/50/25 %", mix, sources, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main())
