"""Training on PyTorch Lightning: slimmable pre-training, gate training, static baselines."""
from slimsep.training.config import load_config
from slimsep.training.run import train

__all__ = ["load_config", "train"]
