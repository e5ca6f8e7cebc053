"""One-file model format: name, full config, state dict, a checksum of the weights and versions; loaded
without pickle code.

``torch.load(weights_only=True)`` only rebuilds tensors and plain containers, so a model file from
an untrusted source cannot execute code on load. Every load is checked before any audio is read (a file that
parses can still be damaged: torch does not verify the zip entries' CRCs): the keys, the config's fields and
ranges (``ModelConfig``), every tensor's shape against the config, every weight finite and of a plausible size,
and the SHA-256 of the weights that :func:`save_model` stores. A file without that checksum still loads, with a
one-line note naming it (:func:`note_unchecked`), since files written before the checksum existed are verified by
the other checks.
"""
from __future__ import annotations

import hashlib
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch

from slimsep import __version__
from slimsep.atomic import atomic_path
from slimsep.errors import ModelFileError, SlimsepError, first_line
from slimsep.models.config import ModelConfig
from slimsep.models.dsn import DSN

FORMAT = "slimsep-model"
FORMAT_VERSION = 1
CHECKSUM = "sha256"
# Trained weights are O(1) (the shipped model's largest is 2.1) and float16 files cannot hold more than 65504;
# weights beyond this overflow float32 activations within a few layers (NaN or Inf audio).
MAX_WEIGHT = 1e6


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
        "checksum": {"algorithm": CHECKSUM, "state_dict": state_checksum(state)},
        "versions": {"slimsep": str(__version__), "torch": str(torch.__version__)},
        "metadata": metadata or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        torch.save(payload, f)  # a file object: a full disk is then an OSError (ENOSPC), not a torch riddle
    return path


def read_model_file(path: str | Path) -> dict[str, Any]:
    """The raw payload of a model file, validated; never executes code from the file."""
    path = Path(path)
    if not path.is_file():
        raise SlimsepError(f"{path}: model file does not exist")
    if not zipfile.is_zipfile(path):  # torch.save's archive; torch's own errors for other files are riddles
        raise ModelFileError(f"{path}: not a slimsep model file (not a torch.save archive: another format, or "
                             "a copy cut short)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's text goes on to suggest weights_only=False: never do that here
        raise ModelFileError(f"{path}: refused to load: the file holds Python objects other than tensors and plain "
                             "data, and slimsep never runs code from a model file") from None
    except Exception as exc:  # noqa: BLE001 - a damaged zip or pickle raises many types, each one line here
        raise ModelFileError(f"{path}: damaged model file ({type(exc).__name__}: {first_line(exc)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a slimsep model file (missing format marker)")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format {payload['format_version']} is newer than this slimsep supports")
    check_payload(payload, path)
    return payload


def state_checksum(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order (float16 files: their stored bytes).

    Catches a file that still parses but whose weights were damaged on disk or in transit."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def check_payload(payload: dict[str, Any], path: str | Path) -> None:
    """The keys, the config, the tensors and the checksum of a model payload; one-line SlimsepError naming ``path``."""
    for key, kind in (("config", dict), ("state_dict", dict)):
        if not isinstance(payload.get(key), kind):
            raise ModelFileError(f"{path}: damaged model file: no {key!r} section")
    state = payload["state_dict"]
    if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path}: damaged model file: 'state_dict' must map names to tensors")
    expected = payload.get("checksum")
    if expected is not None:  # a file without one is noted once it is built (_build), not when refused anyway
        if not isinstance(expected, dict) or expected.get("algorithm") != CHECKSUM:
            raise ModelFileError(f"{path}: damaged model file: unknown checksum {expected!r}")
        if state_checksum(state) != expected.get("state_dict"):
            raise ModelFileError(f"{path}: damaged model file: the weights do not match their stored checksum")
    for name, tensor in state.items():
        if tensor.is_floating_point():
            _check_values(name, tensor, path)


_NOTED: set[str] = set()


def note_unchecked(path: str | Path) -> None:
    """A note on stderr (once per file and process) that a model file has no checksum of its weights.

    A note, not a refusal: files written before slimsep stored the checksum (issue 28) have none and must keep
    loading, and a removed entry is no sign of an attack (whoever can edit the file can rewrite the checksum too);
    the checksum catches damage in transit or on disk, which the other checks (shapes, finite and plausible
    weights) still partly catch. Silence would hide that this file got the weaker check; the note says so and how
    to add one (``save_model`` writes it)."""
    key = str(Path(path).absolute())
    if key not in _NOTED:
        _NOTED.add(key)
        print(f"slimsep: note: {path}: no checksum of its weights (written before slimsep stored one, or the entry "
              "was removed), so damage to them may go unnoticed; re-save it (load_model, then save_model) to add "
              "one", file=sys.stderr)


def _check_values(name: str, tensor: torch.Tensor, path: str | Path) -> None:
    values = tensor.float()
    if not bool(torch.isfinite(values).all()):
        raise ModelFileError(f"{path}: damaged model file: weight {name} holds NaN or Inf")
    peak = float(values.abs().max()) if values.numel() else 0.0
    if peak > MAX_WEIGHT:
        raise ModelFileError(f"{path}: damaged model file: weight {name} reaches {peak:.3g}, beyond any trained "
                           f"network's (at most {MAX_WEIGHT:g})")


def load_model(path: str | Path) -> DSN:
    """Rebuild a :class:`DSN` (in eval mode, float32) from one file written by :func:`save_model`."""
    return load_model_and_metadata(path)[0]


def load_model_and_metadata(path: str | Path) -> tuple[DSN, dict[str, Any]]:
    """The model and its metadata (training stage, recipe, results) from one read of the file."""
    payload = read_model_file(path)
    return _build(payload, path), dict(payload.get("metadata", {}))


def _build(payload: dict[str, Any], path: str | Path) -> DSN:
    try:
        cfg = ModelConfig.from_dict(payload["config"])
    except (SlimsepError, TypeError) as exc:
        raise ModelFileError(f"{path}: bad model config ({first_line(exc)})") from None
    state = {k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()}
    check_state(cfg, state, path)
    model = DSN(cfg)
    model.load_state_dict(state)
    if payload.get("checksum") is None:
        note_unchecked(path)
    return model.eval()


def check_state(cfg: ModelConfig, state: dict[str, object], path: str | Path) -> None:
    """The file's tensors against the config's, compared on the meta device: a config that asks for a huge
    network is refused before any memory is allocated for it (model files and training checkpoints alike)."""
    odd = next((name for name, value in state.items() if not isinstance(value, torch.Tensor)), None)
    if odd is not None:
        raise ModelFileError(f"{path}: damaged weights: {odd} is a {type(state[odd]).__name__}, not a tensor")
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in DSN(cfg).state_dict().items()}
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        what = f"no weight {missing[0]}" if missing else f"unexpected weight {unexpected[0]}"
        raise ModelFileError(f"{path}: weights do not match the stored config ({what})")
    for name, shape in expected.items():
        if tuple(state[name].shape) != shape:
            raise ModelFileError(f"{path}: weights do not match the stored config ({name} has shape "
                               f"{tuple(state[name].shape)}, the config needs {shape})")


def model_metadata(path: str | Path) -> dict[str, Any]:
    """Training recipe and other metadata stored with a model."""
    return dict(read_model_file(path).get("metadata", {}))
