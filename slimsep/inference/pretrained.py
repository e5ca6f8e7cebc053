"""Model files shipped inside the package (``slimsep/pretrained/<name>.pt``) and how names resolve."""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from slimsep.errors import SlimsepError

DEFAULT = "default"


def pretrained_dir() -> Path:
    return Path(str(resources.files("slimsep") / "pretrained"))


def available() -> list[str]:
    folder = pretrained_dir()
    return sorted(p.stem for p in folder.glob("*.pt")) if folder.is_dir() else []


def resolve(path_or_name: str | Path | None) -> Path:
    """A model file path as given, or a shipped model's name (default: ``default``)."""
    if path_or_name is None:
        path_or_name = DEFAULT
    candidate = Path(path_or_name)
    if candidate.suffix == ".pt" or candidate.exists() or "/" in str(path_or_name):
        if not candidate.is_file():
            raise SlimsepError(f"{candidate}: {_not_a_file(candidate, str(path_or_name))}")
        return candidate
    shipped = pretrained_dir() / f"{path_or_name}.pt"
    if shipped.is_file():
        return shipped
    names = ", ".join(available()) or "none"
    raise SlimsepError(f"no shipped model named {str(path_or_name)!r} (shipped: {names}); pass a model file "
                       f"written by `slimsep train` with --model PATH")


def _not_a_file(candidate: Path, given: str) -> str:
    """Why ``candidate`` is no model file, with the hint that fixes the usual mistakes: an ONNX folder without
    ``--backend onnx``, a folder, or a model-hub name (``owner/model``), which slimsep cannot load."""
    from slimsep.onnx.format import MANIFEST

    if (candidate / MANIFEST).is_file():
        return ("is a folder written by `slimsep export onnx`, not a model file; `slimsep separate` runs it with "
                "--backend onnx")
    if candidate.is_dir():
        return "is a folder, not a model file (give the model.pt inside a run folder)"
    hub = re.fullmatch(r"[\w.-]+/[\w.-]+", given) and not candidate.suffix and not candidate.parent.exists()
    hint = (f"; {given!r} looks like a model-hub name: slimsep runs only its own model files (model.pt written by "
            f"`slimsep train`) and the shipped ones ({', '.join(available()) or 'none'})") if hub else ""
    return f"model file does not exist{hint}"
