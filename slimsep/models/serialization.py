"""One-file model format: name, full config, state dict and versions; loaded without pickle code.

``torch.load(weights_only=True)`` only rebuilds tensors and plain containers, so a model file from
an untrusted source cannot execute code on load.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from slimsep import __version__
from slimsep.atomic import atomic_path
from slimsep.errors import SlimsepError, first_line
from slimsep.models.config import ModelConfig
from slimsep.models.dsn import DSN

FORMAT = "slimsep-model"
FORMAT_VERSION = 1


def save_model(model: DSN, path: str | Path, metadata: dict[str, Any] | None = None,
               half: bool = False) -> Path:
    """Write ``model`` atomically; ``metadata`` (training recipe, data, scores) must be plain data.

    ``half`` stores floating-point weights as float16 (half the size; restored to float32 on load).
    """
    path = Path(path)
    state = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().clone()
             for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_name": model.cfg.name,
        "config": model.cfg.to_dict(),
        "state_dict": state,
        "versions": {"slimsep": str(__version__), "torch": str(torch.__version__)},
        "metadata": metadata or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def read_model_file(path: str | Path) -> dict[str, Any]:
    """The raw payload of a model file, validated; never executes code from the file."""
    path = Path(path)
    if not path.is_file():
        raise SlimsepError(f"{path}: model file does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise SlimsepError(f"{path}: refused to load: the file contains objects other than tensors and "
                           f"plain data ({first_line(exc)})") from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise SlimsepError(f"{path}: not a readable slimsep model file ({first_line(exc)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SlimsepError(f"{path}: not a slimsep model file (missing format marker)")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise SlimsepError(f"{path}: model format {payload['format_version']} is newer than this slimsep supports")
    return payload


def load_model(path: str | Path) -> DSN:
    """Rebuild a :class:`DSN` (in eval mode, float32) from one file written by :func:`save_model`."""
    return load_model_and_metadata(path)[0]


def load_model_and_metadata(path: str | Path) -> tuple[DSN, dict[str, Any]]:
    """The model and its metadata (training stage, recipe, results) from one read of the file."""
    payload = read_model_file(path)
    return _build(payload, path), dict(payload.get("metadata", {}))


def _build(payload: dict[str, Any], path: str | Path) -> DSN:
    cfg = ModelConfig.from_dict(payload["config"])
    model = DSN(cfg)
    state = {k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise SlimsepError(f"{path}: weights do not match the stored config ({first_line(exc)})") from None
    return model.eval()


def model_metadata(path: str | Path) -> dict[str, Any]:
    """Training recipe and other metadata stored with a model."""
    return dict(read_model_file(path).get("metadata", {}))
