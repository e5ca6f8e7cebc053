"""Training throughput: steps/s and hours of training audio per minute, static and slimmable stages.

    python benchmarks/train_throughput.py                         # CPU: small, batch 4 x 4 s, fp32 and auto
    python benchmarks/train_throughput.py --batch 64 --steps 30   # on a GPU: fp32 and bf16 rows
    python benchmarks/train_throughput.py --processes 2 --threads 1   # two runs side by side, one thread each

On a CPU the rows are float32 and ``trainer.precision: auto`` (bf16 autocast where the CPU multiplies bf16 in
hardware, float32 elsewhere: ``slimsep.hardware``), with the speed-up of auto over float32; ``--precisions``
adds others (``bf16-mixed`` shows what emulated bf16 costs on a CPU without bf16 units). ``--processes P`` runs P
copies of each row at once and reports their summed steps/s, to compare one process using every core with
several one-thread processes (e.g. two controls side by side).

Each row is a real Lightning fit of the training module (its optimizer step, gradient clipping and, for the
slimmable stage, the sandwich rule's four passes), on mixtures drawn on the device as the GPU recipe draws them
(random-noise "voices": the cost does not depend on the content). The first ``--warmup`` steps are not timed.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slimsep.data.tensor_mix import SourceBank  # noqa: E402
from slimsep.hardware import cpu_has_fast_bf16  # noqa: E402
from slimsep.recipe.child import TensorMixData  # noqa: E402
from slimsep.training import load_config  # noqa: E402
from slimsep.training.module import SeparationModule  # noqa: E402
from slimsep.training.run import build_trainer, resolve_precision  # noqa: E402


class StepTimer(L.Callback):
    """Wall-clock time at the end of every training step (after a CUDA synchronisation)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_batch_end(self, trainer: L.Trainer, *args: object) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.times.append(time.perf_counter())


def measure(stage: str, precision: str, args: argparse.Namespace, device: str) -> dict:
    steps = args.warmup + args.steps
    cfg = load_config(None, [f"stage={stage}", f"model.name={args.model}", f"loader.batch_size={args.batch}",
                             f"trainer.max_steps={steps}", f"trainer.val_check_interval={steps}",
                             "trainer.limit_val_batches=1", f"trainer.checkpoint_every_n_steps={steps}",
                             f"trainer.precision={precision}", "trainer.enable_progress_bar=false",
                             f"trainer.accelerator={'gpu' if device == 'cuda' else 'cpu'}",
                             f"trainer.compile={args.compile}"])
    module = SeparationModule(_model_config(args.model, args.overrides), cfg)
    rng = np.random.default_rng(0)
    voices = {f"v{k}": [rng.standard_normal(8000 * 6).astype(np.float32) * 0.1] for k in range(8)}
    valid = [(torch.randn(8000), torch.randn(2, 8000))]
    data = TensorMixData(SourceBank(voices, device), args.batch, args.segment, 8000, 0, valid)
    with tempfile.TemporaryDirectory() as tmp:
        trainer, _ = build_trainer(cfg, Path(tmp))
        timer = StepTimer()
        trainer.callbacks.append(timer)
        trainer.fit(module, datamodule=data)
    timed = timer.times[args.warmup - 1:] if args.warmup else timer.times
    per_step = (timed[-1] - timed[0]) / max(1, len(timed) - 1)
    audio_h_per_min = args.batch * args.segment / per_step * 60 / 3600
    return {"stage": stage, "precision": resolve_precision(cfg), "ms": per_step * 1000,
            "steps_s": 1 / per_step, "audio_h_min": audio_h_per_min}


def _model_config(name: str, overrides: list[str]) -> dict:
    from slimsep.models import get_config
    return get_config(name, **{k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in overrides)}).to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="small")
    parser.add_argument("--batch", type=int, default=None, help="default: 64 on a GPU, 4 on a CPU")
    parser.add_argument("--segment", type=float, default=4.0, help="seconds per training mixture")
    parser.add_argument("--precisions", nargs="+", default=None,
                        help="Lightning precisions to time (default: GPU 32-true and bf16-mixed; CPU 32-true and auto)")
    parser.add_argument("--processes", type=int, default=1, help="copies of each row run at once (CPU)")
    parser.add_argument("--set", nargs="*", default=[], dest="overrides", help="model.overrides, e.g. n_heads=2")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one row as JSON (--processes)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 30 GPU, 5 CPU)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--compile", action="store_true", help="also set trainer.compile")
    parser.add_argument("--stages", nargs="+", default=["static", "slimmable"])
    args = parser.parse_args()
    for name in ("lightning.pytorch", "lightning.fabric"):  # keep the table readable
        logging.getLogger(name).setLevel(logging.ERROR)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    args.batch = args.batch or (64 if device == "cuda" else 4)
    args.steps = args.steps or (30 if device == "cuda" else 5)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.json:  # one row, for --processes
        print(json.dumps(measure(args.stages[0], args.precisions[0], args, device)))
        return
    gpu_bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    precisions = args.precisions or (["32-true", "bf16-mixed"] if gpu_bf16 else ["32-true"] if device == "cuda"
                                     else ["32-true", "auto"])
    name = torch.cuda.get_device_name(0) if device == "cuda" else (
        f"CPU ({platform.processor() or platform.machine()}, bf16 in hardware: {cpu_has_fast_bf16()}), "
        f"{torch.get_num_threads()} threads x {args.processes} process(es)")
    print(f"# {name}; torch {torch.__version__}; model {args.model} {' '.join(args.overrides)}; batch {args.batch} "
          f"x {args.segment:g} s; {args.steps} timed steps after {args.warmup}; compile {args.compile}")
    print("| stage | precision | ms/step | steps/s (all processes) | hours of audio per minute | vs first row |")
    print("|---|---|---:|---:|---:|---:|")
    for stage in args.stages:
        base = None
        for precision in precisions:
            rows = measure_parallel(stage, precision, args) if args.processes > 1 else [
                measure(stage, precision, args, device)]
            steps_s = sum(r["steps_s"] for r in rows)
            base = base or steps_s
            print(f"| {stage} | {rows[0]['precision']} | {np.mean([r['ms'] for r in rows]):.0f} | {steps_s:.2f} | "
                  f"{sum(r['audio_h_min'] for r in rows):.3f} | {steps_s / base:.2f}x |", flush=True)


def measure_parallel(stage: str, precision: str, args: argparse.Namespace) -> list[dict]:
    """``args.processes`` copies of one row at once, each in its own process with ``args.threads`` threads."""
    cmd = [sys.executable, __file__, "--json", "--stages", stage, "--precisions", precision, "--model", args.model,
           "--batch", str(args.batch), "--segment", str(args.segment), "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--threads", str(args.threads or 1), *(["--compile"] if args.compile else []),
           *(["--set", *args.overrides] if args.overrides else [])]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(args.processes)]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]


if __name__ == "__main__":
    main()
