"""Speed and quality of a model's inference in float32 against bfloat16 (`--precision` of `slimsep separate`).

    python benchmarks/inference_precision.py [--model default] [--runs 6] [--data CORPUS --split valid --limit 10]

On one thread (set it with --threads), each precision separates the `slimsep demo` mixture (two codec2-examples
talkers, fetched once) with ``Separator.separate``, the gates deciding and at full width; the real-time factor is
the median over --runs timed runs after one warm-up. With --data it also scores every mixture of the condition
folders (noisy task) in both precisions, gates deciding, and prints the paired SI-SDRi difference (bfloat16 minus
float32, with its standard error) and the share of (block, chunk) width choices that differ. On a CPU without bf16
units PyTorch emulates bfloat16 and it is many times slower (slimsep.hardware); --precision auto never picks it
there.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from slimsep.evaluation.metrics import separation_metrics
from slimsep.inference import Separator
from slimsep.inference.demo import demo_mixture

PRECISIONS = ("float32", "bfloat16")


def demo_row(model: str, precision: str, width: float | None, runs: int) -> dict:
    """RTF (median of ``runs``), GMAC/s and SI-SDRi [dB] of one precision on the demo mixture."""
    sep = Separator.from_pretrained(model, precision=precision, **({} if width is None else {"width": width}))
    mix, refs = demo_mixture(sep.sample_rate)
    sep.warm_up()
    times, est, report = [], None, {}
    for _ in range(runs):
        start = time.perf_counter()
        est, report = sep.separate(mix, sep.sample_rate)
        times.append(time.perf_counter() - start)
    si_sdri = separation_metrics(torch.from_numpy(est), torch.from_numpy(refs), torch.from_numpy(mix),
                                 sdr=False)["si_sdri"]
    return {"rtf": statistics.median(times) * sep.sample_rate / mix.size, "gmac": report["gmac_per_s"],
            "si_sdri": si_sdri}


def paired(model_name: str, data: Path, split: str, limit: int) -> tuple[np.ndarray, int, int]:
    """(SI-SDRi difference bfloat16 - float32 per mixture [N], width choices that differ, all choices)."""
    from slimsep.data import find_conditions
    from slimsep.inference.pretrained import resolve
    from slimsep.inference.precision import running_in
    from slimsep.models.serialization import load_model

    model = load_model(resolve(model_name)).eval()
    found = find_conditions(data, task="sep_noisy", split=split, sample_rate=model.cfg.sample_rate)
    diffs, changed, total = [], 0, 0
    for dataset in found.values():
        for i in range(min(limit, len(dataset))):
            mix, ref = dataset[i]
            scores, widths = [], []
            for precision in PRECISIONS:
                with torch.inference_mode(), running_in(precision):
                    out = model(mix)
                scores.append(separation_metrics(out.estimates[0].float(), ref, mix, sdr=False)["si_sdri"])
                widths.append(out.width_idx)
            diffs.append(scores[1] - scores[0])
            changed += int((widths[0] != widths[1]).sum())
            total += widths[0].numel()
    return np.array(diffs), changed, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="model file or shipped name (default: default)")
    parser.add_argument("--runs", type=int, default=6, help="timed runs per row, the median reported (default 6)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--data", type=Path, help="corpus root with <split>/ov*_na* folders: also score quality")
    parser.add_argument("--split", default="valid", help="sub-folder of --data (default: valid)")
    parser.add_argument("--limit", type=int, default=10, help="mixtures per condition (default 10)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"model {args.model}, {args.threads} thread(s), demo mixture, median of {args.runs} runs\n")
    print("| precision | operating point | real-time factor | GMAC/s | demo SI-SDRi [dB] |\n|---|---|---:|---:|---:|")
    for precision in PRECISIONS:
        for width in (None, 1.0):
            row = demo_row(args.model, precision, width, args.runs)
            point = "gates decide" if width is None else f"width {width:g}"
            print(f"| {precision} | {point} | {row['rtf']:.3f} | {row['gmac']:.3f} | {row['si_sdri']:.2f} |")
    if args.data is not None:
        diffs, changed, total = paired(args.model, args.data, args.split, args.limit)
        se = diffs.std(ddof=1) / np.sqrt(diffs.size) if diffs.size > 1 else float("nan")
        print(f"\n{args.split} mixtures ({diffs.size}, noisy task, gates decide): SI-SDRi bfloat16 - float32 "
              f"{diffs.mean():+.3f} dB (s.e. {se:.3f}; largest |difference| {np.abs(diffs).max():.3f} dB); width "
              f"choices that differ: {changed} of {total} ({100 * changed / max(total, 1):.2f} %)")


if __name__ == "__main__":
    main()
