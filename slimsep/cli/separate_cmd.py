"""``slimsep separate``: split recordings into one file per talker."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from slimsep.errors import OutputExistsError, SlimsepError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("separate", help="separate recordings into one file per talker",
                              description="Any sample rate (resampled in and back out), mono or multi-channel "
                                          "(averaged to mono), any length (windowed, bounded memory). Writes "
                                          "<name>_spk1.wav, <name>_spk2.wav (32-bit float at the input's level, not peak-normalised) "
                                          "and <name>_slimsep.json. The model runs at 8 kHz, so the estimates of "
                                          "a 16 or 44.1 kHz input hold nothing above 4 kHz (the JSON notes it).")
    p.add_argument("inputs", nargs="+", type=Path, help="audio files")
    p.add_argument("-o", "--outdir", type=Path, default=Path("separated"), help="output folder (default: separated)")
    p.add_argument("--model", default=None, help="model file, or a shipped model's name (default: default); "
                                                  "with --backend onnx, a folder written by `slimsep export onnx`")
    p.add_argument("--backend", default="torch", choices=["torch", "onnx"],
                   help="run the model with PyTorch, or an exported ONNX folder with onnxruntime (default: torch)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads: PyTorch's intra-op threads (default: PyTorch's own choice, all cores), or "
                        "with --backend onnx onnxruntime's threads per graph call (default: 1); at least 1, capped at "
                        "the cores this process may use")
    p.add_argument("--budget", type=float, default=0.0,
                   help="trade quality for compute: larger values make the gates pick slimmer widths "
                        "(default: %(default)s, the gates as trained); refused above 0 where no gate decides "
                        "(--width, a static model)")
    p.add_argument("--width", type=float, default=None,
                   help="run every chunk at this width instead of letting the gates choose (default: the gates; "
                        "a static baseline runs at the width it was trained at)")
    add_precision_option(p, "auto", "number format of the torch backend; auto: bfloat16 where the CPU or GPU "
                                    "multiplies it in hardware (about twice as fast; SI-SDRi within hundredths of a "
                                    "dB), else float32")
    p.add_argument("--device", default="cpu",
                   help="PyTorch device: cpu (default), cuda or cuda:N (an NVIDIA GPU); --backend onnx: cpu only")
    p.add_argument("--window", type=float, default=10.0, help="seconds per processing window (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar (none is drawn when stderr is not a "
                                                                "terminal either)")
    p.set_defaults(func=run)


# slimsep.inference.precision.PRECISIONS, spelt out: importing it would load the inference package (about 1 s) before
# every command; tests/inference/test_precision.py holds the two equal.
PRECISION_CHOICES = ("auto", "float32", "bfloat16")


def add_precision_option(p: argparse.ArgumentParser, default: str, help: str) -> None:  # noqa: A002 (argparse's name)
    """``--precision`` with its choices, as ``separate``, ``demo``, ``profile`` and ``evaluate`` share it."""
    p.add_argument("--precision", default=default, choices=PRECISION_CHOICES, help=f"{help} (default: %(default)s)")


def set_threads(threads: int | None, backend: str) -> int | None:
    """``--threads`` checked and capped at the cores (``slimsep.threads``); for the torch backend also set, as a
    process-wide setting the CLI owns, not the library. Returns the count to use (None: the default)."""
    from slimsep.threads import check_threads

    threads = check_threads(threads, "--threads")
    if threads is not None and backend == "torch":
        import torch

        torch.set_num_threads(threads)
    return threads


def as_cli(exc: SlimsepError) -> SlimsepError:
    """The error as the command line words it (``--overwrite``, not the API's ``overwrite=True``)."""
    return exc.for_option("--overwrite") if isinstance(exc, OutputExistsError) else exc


def run(args: argparse.Namespace) -> int:
    from slimsep.inference import Separator
    from slimsep.inference.backends import check_device
    from slimsep.inference.files import colliding_inputs

    check_device(args.device, "--device")
    fixed = {} if args.width is None else {"width": args.width}
    threads = set_threads(args.threads, args.backend)
    separator = Separator.from_pretrained(args.model, device=args.device, backend=args.backend,
                                          threads=threads or 1, window=args.window,
                                          precision=args.precision, **fixed)
    separator.progress = not args.quiet
    separator.check_budget(args.budget, "--budget")
    inputs, clashes = colliding_inputs(args.inputs)
    for message in clashes:
        print(f"slimsep: error: {message}", file=sys.stderr)
    created = not args.outdir.exists()
    try:
        return _separate_all(separator, inputs, args, failures=len(clashes))
    finally:  # a run stopped (SIGTERM, Ctrl-C) before its first output leaves no empty folder of its own behind
        if created and args.outdir.is_dir() and not any(args.outdir.iterdir()):
            args.outdir.rmdir()


def _separate_all(separator: Any, inputs: list[Path], args: argparse.Namespace, failures: int) -> int:
    """Separate each input into ``args.outdir``; one input's failure is one line and the others go on. Returns the
    exit code: 1 if any input failed."""
    for path in inputs:
        try:
            outs = separator.separate_file(path, args.outdir, budget=args.budget, overwrite=args.overwrite,
                                           protected=set(args.inputs))
        except SlimsepError as exc:
            print(f"slimsep: error: {as_cli(exc)}", file=sys.stderr)
            failures += 1
            continue
        except Exception as exc:  # noqa: BLE001 - one file's unforeseen failure must not drop the others
            print(f"slimsep: error: {path}: could not be separated ({type(exc).__name__}: {exc}); "
                  f"please report this", file=sys.stderr)
            failures += 1
            continue
        print(f"{path} -> {', '.join(str(p) for p in outs.values())}")
        for note in separator.last_report.get("notes", []):
            print(f"slimsep: note: {path}: {note}", file=sys.stderr)
    return 1 if failures else 0
