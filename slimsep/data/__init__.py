"""Data: corpus readers, the mixture simulator, the open corpus, generated signals for tests."""
from slimsep.data.factory import build_dataset, register
from slimsep.data.folders import WavFolderDataset
from slimsep.data.synthetic import SyntheticSpec, SyntheticTwoTalker

__all__ = ["SyntheticSpec", "SyntheticTwoTalker", "WavFolderDataset", "build_dataset", "register"]
