"""The network behind a ``Separator``: PyTorch or the ONNX runtime, behind one small protocol.

A backend takes one mixture at the model's rate, a width (None: the gates decide) and a budget, and returns the
estimates and the width index each (block, chunk) ran at; it knows its model config and its chunks' sample spans.
``Separator`` only cuts files into windows and writes the results, so it never asks which backend it holds, and
the ONNX backend never imports PyTorch.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from slimsep.errors import SlimsepError
from slimsep.inference.precision import check_precision, resolve_precision, running_in
from slimsep.inference.pretrained import resolve
from slimsep.models import geometry
from slimsep.onnx.runtime import OnnxDSN

if TYPE_CHECKING:
    from slimsep.models.config import ModelConfig
    from slimsep.models.dsn import DSN

BACKENDS = ("torch", "onnx")
DEVICE = re.compile(r"cpu|cuda(:\d+)?")


def check_device(device: object, name: str = "device") -> str:
    """``cpu``, ``cuda`` or ``cuda:N``; anything else (``tpu``, ``mps``, ``gpu``) is one SlimsepError naming the
    option as the caller knows it (``device`` for the API, ``--device`` for the CLI)."""
    if not isinstance(device, str) or not DEVICE.fullmatch(device):
        raise SlimsepError(f"{name} {device!r}: not a device slimsep runs on; choose cpu, cuda or cuda:N "
                           f"(N: the GPU's index)")
    return device


class Backend(Protocol):
    name: str  # "torch" or "onnx", as the report states it
    precision: str  # "float32" or "bfloat16" (slimsep.inference.precision), as the report states it
    model: DSN | OnnxDSN
    cfg: ModelConfig
    default_width: float | None  # the width the model file asks for (static baselines); None: the gates decide
    path: Path | None  # the model file or ONNX folder it was loaded from; None for a model object

    def run(self, mix: np.ndarray, width: float | None, budget: float) -> tuple[np.ndarray, np.ndarray]:
        """Mixture [T] at ``cfg.sample_rate`` -> (estimates [n_src, T], width_idx [R, C] int)."""

    def chunk_spans(self, n_samples: int) -> np.ndarray:
        """Sample range ``[start, end)`` of each chunk of a ``n_samples`` mixture: ``[C, 2]`` int64."""


class _Spans:
    cfg: ModelConfig
    path: Path | None = None  # the model file or ONNX folder it was loaded from (None: built from an object)

    def chunk_spans(self, n_samples: int) -> np.ndarray:
        return geometry.chunk_spans(self.cfg, n_samples)


class TorchBackend(_Spans):
    """A :class:`DSN` in eval mode on ``device`` (``cpu``, ``cuda``, ``cuda:1``), at ``precision`` (``auto``:
    bfloat16 where the device multiplies it in hardware, else float32; ``slimsep.inference.precision``)."""

    name = "torch"

    def __init__(self, model: DSN, device: str = "cpu", default_width: float | None = None,
                 precision: str = "auto") -> None:
        import torch

        check_device(device)
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise SlimsepError("--device cuda asked for, but no CUDA device is available")
        self.precision = resolve_precision(precision, device)
        self.model, self.cfg, self.device = model.eval().to(device), model.cfg, device
        self.default_width = default_width

    def run(self, mix: np.ndarray, width: float | None, budget: float) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.inference_mode(), running_in(self.precision, self.device):
            out = self.model(torch.from_numpy(mix).to(self.device)[None], width, budget=budget)
        return out.estimates[0].float().cpu().numpy(), out.width_idx[0].cpu().numpy()


class OnnxBackend(_Spans):
    """An exported folder run by :class:`slimsep.onnx.runtime.OnnxDSN` (CPU only, no PyTorch)."""

    name = "onnx"
    precision = "float32"  # the exported graphs' format

    def __init__(self, model: OnnxDSN, device: str = "cpu", precision: str = "auto") -> None:
        if check_device(device) != "cpu":
            raise SlimsepError(f"--device {device}: the onnx backend runs on the CPU only")
        check_onnx_precision(precision)
        self.model, self.cfg, self.default_width = model, model.cfg, model.width

    def run(self, mix: np.ndarray, width: float | None, budget: float) -> tuple[np.ndarray, np.ndarray]:
        out = self.model(mix[None], width, budget=budget)
        return out.estimates[0], out.width_idx[0]


def check_onnx_precision(precision: str) -> None:
    """The onnx backend runs its exported float32 graphs: ``auto`` and ``float32`` pass, ``bfloat16`` or an unknown
    value is one SlimsepError. Not resolved through the hardware check, which would import PyTorch."""
    if check_precision(precision, "--precision") == "bfloat16":
        raise SlimsepError("--precision bfloat16: the onnx backend runs its exported float32 graphs; use "
                           "--backend torch for bfloat16")


def as_backend(model: DSN | OnnxDSN | Backend, device: str = "cpu", precision: str = "auto") -> Backend:
    """A backend for a model object: a :class:`DSN` runs with PyTorch (at ``precision``), an :class:`OnnxDSN` with
    onnxruntime; a backend object is returned as it is, with its own precision."""
    if isinstance(model, OnnxDSN):
        return OnnxBackend(model, device, precision)
    if isinstance(model, (TorchBackend, OnnxBackend)):
        return model
    return TorchBackend(model, device, precision=precision)


def load_backend(path_or_name: str | Path | None, backend: str = "torch", device: str = "cpu",
                 threads: int = 1, precision: str = "auto") -> tuple[Backend, str]:
    """(backend, its name for the report) for a model file or shipped model name (``torch``, at ``precision``), or
    for a folder written by ``slimsep export onnx`` (``onnx``, float32; ``threads``: onnxruntime threads per graph
    call). Raises SlimsepError for an unknown backend or precision, or bfloat16 asked of the onnx backend."""
    if backend not in BACKENDS:
        raise SlimsepError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    check_device(device)
    if backend == "onnx":
        if path_or_name is None:
            raise SlimsepError("--backend onnx needs --model DIR, a folder written by `slimsep export onnx`")
        check_onnx_precision(precision)
        onnx = OnnxBackend(OnnxDSN(path_or_name, threads), device, precision)
        onnx.path = Path(path_or_name)
        return onnx, str(path_or_name)
    from slimsep.evaluation.points import trained_width
    from slimsep.models.serialization import load_model_and_metadata

    path = resolve(path_or_name)
    model, meta = load_model_and_metadata(path)
    torch_backend = TorchBackend(model, device, trained_width(meta), precision)
    torch_backend.path = path
    return torch_backend, str(path_or_name or path.stem)


def model_digest(path: Path | None) -> str | None:
    """SHA-256 of a model file, or of an ONNX folder's files (names and bytes, in name order), so a report can be
    traced to the exact model that wrote it; None without a path."""
    if path is None:
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode() if file != path else b"")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
