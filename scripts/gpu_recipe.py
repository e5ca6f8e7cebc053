#!/usr/bin/env python
"""One-call GPU recipe (docs/training.md, "One-call GPU recipe").

    python scripts/gpu_recipe.py pack --corpus corpus --wheels WHEELS_DIR   # here
    python scripts/gpu_recipe.py run --budget-s 480 --plan configs/gpu/plan.yaml               # on the GPU

``run`` starts with the standard library only: it unpacks the carried wheels of the modules the machine lacks
into ``.gpu_work/site`` (a wheel is a zip archive; no pip, no network), then checks every import and the CUDA
device and stops within seconds, with one line saying what is missing, before any training.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import time
import zipfile
from pathlib import Path

T0 = time.time()
REPO = Path(__file__).resolve().parents[1]
# distribution name in a wheel's file name -> the module that shows whether it is installed
WHEEL_MODULES = {"soundfile": "soundfile", "soxr": "soxr", "cffi": "_cffi_backend", "pycparser": "pycparser",
                 "fast_bss_eval": "fast_bss_eval"}
REQUIRED = ("numpy", "yaml", "torch", "lightning", "soundfile", "soxr", "slimsep.training", "slimsep.recipe.launch")


def install_wheels(wheels: Path, site: Path) -> list[str]:
    """Unpack each wheel whose module is not importable into ``site`` (appended to sys.path and PYTHONPATH, so
    the machine's own packages keep precedence). Returns the distributions unpacked."""
    site.mkdir(parents=True, exist_ok=True)
    done = []
    for wheel in sorted(wheels.glob("*.whl")):
        dist = wheel.name.split("-")[0].lower()
        module = WHEEL_MODULES.get(dist, dist)
        if importlib.util.find_spec(module) is not None:
            continue
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(site)
        done.append(dist)
    if str(site) not in sys.path:
        sys.path.append(str(site))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", ""), str(site))
                                               if p)
    importlib.invalidate_caches()
    return done


def check_imports() -> None:
    """Import every module the run needs; exit with one line per missing one."""
    missing = []
    for name in REQUIRED:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 (report any import failure, not only ImportError)
            missing.append(f"{name} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
    if missing:
        sys.exit("gpu_recipe: cannot import " + "; ".join(missing))
    import soundfile
    if "OGG" not in soundfile.available_formats():
        sys.exit("gpu_recipe: this soundfile/libsndfile cannot read Ogg/Vorbis")


def check_device(device: str) -> str:
    """'cuda' after a bf16 matmul and an attention call on the GPU, or 'cpu' when asked for; exits otherwise."""
    import torch
    if device == "cpu":
        return "cpu"
    if not torch.cuda.is_available():
        sys.exit("gpu_recipe: no CUDA device visible (torch.cuda.is_available() is False); pass --device cpu to "
                 "test the recipe on a CPU")
    try:
        x = torch.randn(2, 8, 64, 16, device="cuda", dtype=torch.bfloat16)
        torch.nn.functional.scaled_dot_product_attention(x, x, x)
        (x @ x.transpose(-1, -2)).sum().item()
    except Exception as exc:  # noqa: BLE001
        sys.exit(f"gpu_recipe: the CUDA device fails a bf16 test: {str(exc).splitlines()[0]}")
    return "cuda"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="pack an open corpus and the wheels into an ignored folder")
    p.add_argument("--corpus", type=Path, required=True, help="a built open corpus (manifest.csv, valid/)")
    p.add_argument("--wheels", type=Path, required=True, help="folder of cp312 manylinux wheels to carry")
    p.add_argument("-o", "--out", type=Path, default=REPO / ".gpu_pack")
    p.add_argument("--quality", type=float, default=0.8, help="Vorbis compression level, 0 best .. 1 smallest")
    p.add_argument("--max-train-hours", type=float, default=None,
                   help="keep at most this much training speech, trimming the speakers with the most")
    r = sub.add_parser("run", help="train the plan's runs on this machine's GPU and write the results")
    r.add_argument("--budget-s", type=float, required=True, help="wall-clock seconds for the whole call")
    r.add_argument("--plan", type=Path, default=REPO / "configs" / "gpu" / "plan.yaml")
    r.add_argument("--pack", type=Path, default=REPO / ".gpu_pack")
    r.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", REPO / "gpu_out")))
    r.add_argument("--work", type=Path, default=REPO / ".gpu_work")
    r.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    if args.command == "pack":
        return _pack(args)
    unpacked = install_wheels(args.pack / "wheels", args.work / "site")
    check_imports()
    device = check_device(args.device)
    print(f"gpu_recipe: imports and {device} checked in {time.time() - T0:.1f} s; unpacked wheels: "
          f"{', '.join(unpacked) or 'none needed'}", flush=True)
    from slimsep.errors import SlimsepError
    from slimsep.recipe.launch import run
    try:
        return run(args.pack, args.plan.resolve(), args.out, args.work.resolve(), args.budget_s, T0, device)
    except SlimsepError as exc:
        sys.exit(f"gpu_recipe: {exc}")


def _pack(args: argparse.Namespace) -> int:
    from slimsep.errors import SlimsepError
    from slimsep.recipe.pack import folder_mib, pack
    code = _code_mib()
    try:
        summary = pack(args.corpus, args.out, args.wheels, args.quality, code_mib=code,
                       max_train_hours=args.max_train_hours)
    except SlimsepError as exc:
        sys.exit(f"gpu_recipe pack: {exc}")
    print(f"gpu_recipe pack: {args.out} {folder_mib(args.out):.1f} MiB + code {code:.1f} MiB; {summary}")
    return 0


def _code_mib() -> float:
    """Size of what travels with the pack: tracked and untracked-but-not-ignored files (git's view)."""
    import subprocess
    try:
        names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                               capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        sys.exit("gpu_recipe pack: run it inside the git checkout (git ls-files sizes the code that travels)")
    return sum((REPO / n).stat().st_size for n in names if n and (REPO / n).is_file()) / 2**20


if __name__ == "__main__":
    sys.exit(main())
