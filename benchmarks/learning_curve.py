"""Learning curve of a named model config trained from scratch on this machine: SI-SDRi per N steps.

    python benchmarks/learning_curve.py --config small --steps 5000 --pack runs/recipe_pack_v2
    python benchmarks/learning_curve.py --config small_transformer --steps 1500    # small before 2026-12-06
    python benchmarks/learning_curve.py --config small --set conv_kernel=3 --steps 1500

The loop is the recipe controls' (``scripts/recipe_controls.py``: AdamW at ``--lr`` after a linear warm-up, held
constant (``--cooldown N``: a linear decay over the last N steps), gradient-norm clip 5, negative PIT SI-SDR, bf16
autocast where the CPU multiplies bf16 in hardware, batch 4 x 4 s of the project's dynamic mixer on the pack's
training voices), so its numbers compare with the controls in docs/training.md. The table gives SI-SDRi on 30 fixed
fully overlapped 4-s mixtures of training voices and 30 of validation voices (no voice of the second set is
trained on), with this process's CPU minutes. ``--ckpt-dir`` makes the run resumable: start it again to go on.
The pack comes from ``python scripts/recipe_controls.py --make-pack --corpus CORPUS --pack PACK``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts import recipe_controls as rc  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="small", help="a named model config (slimsep.models.NAMED_CONFIGS)")
    p.add_argument("--set", nargs="*", default=[], dest="overrides", help="model config overrides, key=value")
    p.add_argument("--pack", type=Path, default=Path("runs/recipe_pack_v2"))
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--segment", type=float, default=4.0, help="training crop [s]")
    p.add_argument("--overlap", choices=["full", "mix"], default="full",
                   help="training mixtures: all fully overlapped, or today's 1/3 each of 100/50/25 %%")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps; constant after")
    p.add_argument("--table-every", type=int, default=500, help="steps per table row (and evaluation)")
    p.add_argument("--ema-decay", type=float, default=0.999,
                   help="also score an EMA of the weights (the campaign's optim.ema_decay; 0: none; default 0.999)")
    p.add_argument("--cooldown", type=int, default=0, metavar="N",
                   help="fall linearly to lr 0 over the last N steps (warmup-stable-decay; default 0: none)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="bf16: autocast; auto: bf16 where the CPU multiplies bf16 in hardware (as the trainer)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt-dir", type=Path, default=None, help="save and resume the run's state here")
    p.add_argument("--out", type=Path, default=Path("runs/learning_curve/curve"), help="JSON and PNG (no suffix)")
    return p.parse_args()


def controls_args(args: argparse.Namespace) -> argparse.Namespace:
    """The recipe controls' options for one run of this benchmark."""
    from slimsep.hardware import cpu_has_fast_bf16

    precision = args.precision if args.precision != "auto" else ("bf16" if cpu_has_fast_bf16() else "fp32")
    return argparse.Namespace(device="cpu", steps=args.steps, batch=args.batch, segment=args.segment,
                              eval_every=args.table_every, seed=args.seed, threads=args.threads, precision=precision,
                              max_seconds=0.0, ckpt_dir=args.ckpt_dir, ckpt_seconds=300.0, pack=args.pack,
                              ema_decay=args.ema_decay, cooldown=args.cooldown)


def main() -> None:
    import json

    import torch

    args = parse_args()
    overrides = {k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in args.overrides)}
    name = "_".join([args.config, *(f"{k}{v}" for k, v in overrides.items()), args.overlap])
    rc.VARIANTS[name] = {"config": args.config, "model": overrides,
                         "optim": {"schedule": "constant", "warmup_steps": args.warmup, "lr": args.lr},
                         "data": {"overlaps": list(rc.FULL_OVERLAP) if args.overlap == "full" else [1.0, 0.5, 0.25]}}
    torch.set_num_threads(args.threads)
    cargs = controls_args(args)
    result = rc.run_variant(name, cargs, rc.batch_source(cargs, name), rc.eval_sets(cargs, name))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({name: result}, indent=1))
    cool = f", cool-down over the last {args.cooldown} steps" if args.cooldown else ""
    print(f"\n{name}: batch {args.batch} x {args.segment:g} s, lr {args.lr:g}{cool}, {cargs.precision}, "
          f"{args.threads} thread(s)")
    print(rc.curve_table_rows(result))


if __name__ == "__main__":
    main()
