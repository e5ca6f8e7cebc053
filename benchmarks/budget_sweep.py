"""GMAC/s and width shares of a gated model on the demo mixture as ``--budget`` grows (docs/inference.md, "Budget").

    python benchmarks/budget_sweep.py [--model default] [--budgets 0 0.5 1 2 3 5 10 40]

The `slimsep demo` mixture (two codec2-examples talkers, fetched once) is separated with ``Separator.separate`` at
each budget on one thread; prints a Markdown table: the network's GMAC/s, the share of chunks at each width and the
SI-SDRi [dB] against the references. The budget is in gate-logit units, so the response depends on the model.
"""
from __future__ import annotations

import argparse

import torch

from slimsep.evaluation.metrics import separation_metrics
from slimsep.inference import Separator
from slimsep.inference.demo import demo_mixture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--budgets", type=float, nargs="+", default=[0, 0.5, 1, 2, 3, 5, 10, 40])
    args = parser.parse_args()
    torch.set_num_threads(1)
    sep = Separator.from_pretrained(args.model)
    mix, refs = demo_mixture(sep.sample_rate)
    widths = [f"{w:g}" for w in sep.model.cfg.widths]
    print("| `--budget` | GMAC/s | " + " | ".join(f"chunks at {w}" for w in widths) + " | SI-SDRi [dB] |")
    print("|---:|---:|" + "---:|" * (len(widths) + 1))
    for budget in args.budgets:
        est, report = sep.separate(mix, sep.sample_rate, budget=budget)
        score = separation_metrics(torch.from_numpy(est), torch.from_numpy(refs), torch.from_numpy(mix), sdr=False)
        shares = " | ".join(f"{100 * report['width_share'].get(w, 0.0):.0f} %" for w in widths)
        print(f"| {budget:g} | {report['gmac_per_s']:.2f} | {shares} | {score['si_sdri']:.2f} |")


if __name__ == "__main__":
    main()
