"""SI-SDRi at one width on fixed training-split mixtures of the open corpus, for several model files.

Next to the validation score it tells fitting the training voices apart from generalising to new ones
(docs/results_2026-11.md, "Continuing stage 1 on a 2-core CPU"). The mixtures are the dynamic mixer's, under a fixed seed.
Usage: python scripts/score_training_voices.py --corpus corpus MODEL [MODEL ...]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from slimsep.data.dynamic_mix import DynamicMixDataset
from slimsep.evaluation.metrics import separation_metrics
from slimsep.models.serialization import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, required=True, help="open corpus root")
    parser.add_argument("-n", type=int, default=60, help="mixtures (default 60)")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = DynamicMixDataset(args.corpus, "train", segment=3.0, n_items=args.n, task="sep_clean", seed=args.seed)
    items = [data[i] for i in range(len(data))]
    print(f"| model | SI-SDRi at width {args.width:g} on {args.n} training mixtures [dB] |\n|---|---:|")
    for path in args.models:
        model = load_model(path)
        with torch.no_grad():
            scores = [separation_metrics(model(mix[None], widths=args.width).estimates[0], ref, mix, sdr=False)
                      ["si_sdri"] for mix, ref in items]
        print(f"| {path} | {sum(scores) / len(scores):.2f} |")


if __name__ == "__main__":
    main()
