"""Model files shipped inside the package (``slimsep/pretrained/<name>.pt``) and how names resolve."""
from __future__ import annotations

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
            raise SlimsepError(f"{candidate}: model file does not exist")
        return candidate
    shipped = pretrained_dir() / f"{path_or_name}.pt"
    if shipped.is_file():
        return shipped
    names = ", ".join(available()) or "none"
    raise SlimsepError(f"no shipped model named {str(path_or_name)!r} (shipped: {names}); pass a model file "
                       f"written by `slimsep train` with --model PATH")
