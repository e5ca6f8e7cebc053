"""Training throughput: steps/s and hours of training audio per minute, static and slimmable stages.

    python benchmarks/train_throughput.py                         # CPU here: small, batch 4 x 3 s
    python benchmarks/train_throughput.py --batch 64 --steps 30   # on a GPU: fp32 and bf16 rows

Each row is a real Lightning fit of the training module (its optimizer step, gradient clipping and, for the
slimmable stage, the sandwich rule's four passes), on mixtures drawn on the device as the GPU recipe draws them
(random-noise "voices": the cost does not depend on the content). The first ``--warmup`` steps are not timed.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slimsep.data.tensor_mix import SourceBank  # noqa: E402
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
    module = SeparationModule(_model_config(args.model), cfg)
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


def _model_config(name: str) -> dict:
    from slimsep.models import get_config
    return get_config(name).to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="small")
    parser.add_argument("--batch", type=int, default=None, help="default: 64 on a GPU, 4 on a CPU")
    parser.add_argument("--segment", type=float, default=3.0, help="seconds per training mixture")
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
    precisions = ["32-true", "bf16-mixed"] if device == "cuda" and torch.cuda.is_bf16_supported() else ["32-true"]
    name = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"# {name}; torch {torch.__version__}; model {args.model}; batch {args.batch} x {args.segment:g} s; "
          f"{args.steps} timed steps after {args.warmup}; compile {args.compile}")
    print("| stage | precision | ms/step | steps/s | hours of audio per minute |")
    print("|---|---|---:|---:|---:|")
    for stage in args.stages:
        for precision in precisions:
            r = measure(stage, precision, args, device)
            print(f"| {r['stage']} | {r['precision']} | {r['ms']:.0f} | {r['steps_s']:.2f} | {r['audio_h_min']:.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
