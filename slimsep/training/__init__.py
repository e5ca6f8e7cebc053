"""Training on PyTorch Lightning: slimmable pre-training, gate training, static baselines."""
from slimsep.training.config import load_config
from slimsep.training.run import train
from slimsep.training.sections import TrainConfig

__all__ = ["TrainConfig", "load_config", "train"]
