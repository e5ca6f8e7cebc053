"""CPU time of PyTorch and of the ONNX runtime (one thread each) per width and for the gated model.

    python benchmarks/onnx_vs_torch.py [--model PATH | --config small] [--seconds 4] [--runs 7]

Prints a Markdown table: ms of CPU time per second of audio (median of ``--runs`` after a warm-up) and the largest
absolute difference between the two backends' estimates.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

from slimsep.models import DSN, get_config, gmac_per_second, load_model
from slimsep.onnx.export import export_onnx
from slimsep.onnx.runtime import OnnxDSN
from slimsep.profiling import mixed_assignment

STATIC = (1.0, 0.5, 0.25, 0.125)


def median_seconds(fn: Callable[[], object], warmup: int, runs: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


Setting = tuple[str, float | torch.Tensor | None, float]


def settings(model: DSN, n_samples: int, budgets: list[float]) -> list[Setting]:
    """(label, static width / forced width indices / None for the gates, budget)."""
    static = [(f"static {w:g}", w, 0.0) for w in STATIC if w in model.cfg.widths]
    mixed = [("mixed (per-chunk, forced)", mixed_assignment(model, n_samples), 0.0)]
    return static + mixed + [(f"gated, budget {b:g}", None, b) for b in budgets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a slimsep model file (default: --config with random weights)")
    parser.add_argument("--config", default="small")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--budgets", default="0,2", help="comma-separated gate budgets (default: 0,2)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = load_model(args.model) if args.model else DSN(get_config(args.config)).eval()
    n = int(args.seconds * model.cfg.sample_rate)
    mix = np.random.default_rng(0).standard_normal((1, n)).astype(np.float32) * 0.1
    with tempfile.TemporaryDirectory() as folder:
        export_onnx(model, folder)
        runtime = OnnxDSN(folder, threads=1)
        print(f"model: {args.model or args.config + ' (random weights)'}, {args.seconds:g} s at "
              f"{model.cfg.sample_rate} Hz, 1 thread, median of {args.runs} runs\n")
        print("| setting | mean width | GMAC/s | PyTorch ms/s | ONNX ms/s | ONNX/PyTorch | max abs diff |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, width, budget in settings(model, n, [float(b) for b in args.budgets.split(",")]):
            print(row(model, runtime, mix, label, width, budget, args))


def row(model: DSN, runtime: OnnxDSN, mix: np.ndarray, label: str, width: float | torch.Tensor | None,
        budget: float, args: argparse.Namespace) -> str:
    x = torch.from_numpy(mix)
    forced = width.numpy() if isinstance(width, torch.Tensor) else width
    with torch.inference_mode():
        ref = model(x, width, budget=budget)
        t_torch = median_seconds(lambda: model(x, width, budget=budget), args.warmup, args.runs)
    out = runtime(mix, forced, budget=budget)
    t_onnx = median_seconds(lambda: runtime(mix, forced, budget=budget), args.warmup, args.runs)
    width_idx = ref.width_idx[0].numpy()
    mean_width = float(np.asarray(model.cfg.widths)[width_idx].mean())
    gmac = gmac_per_second(model.cfg, width if isinstance(width, float) else width_idx, mix.shape[1],
                           gated=width is None)
    diff = float(np.abs(out.estimates - ref.estimates.numpy()).max())
    same = "" if (out.width_idx == ref.width_idx.numpy()).all() else " (gate decisions differ)"
    ms = 1000 / args.seconds
    return (f"| {label} | {mean_width:.3f} | {gmac:.3f} | {t_torch * ms:.1f} | {t_onnx * ms:.1f} | "
            f"{t_onnx / t_torch:.2f} | {diff:.1e}{same} |")


if __name__ == "__main__":
    main()
