"""slimsep: Dynamic Slimmable Networks (DSN) for efficient two-speaker speech separation."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("slimsep")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
