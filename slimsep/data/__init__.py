"""Data: corpus readers, the mixture simulator, the open corpus, generated signals for tests."""
from slimsep.data import corpora  # noqa: F401  (registers the wsj0-2mix, wham and libri2mix readers)
from slimsep.data.conditions import find_conditions
from slimsep.data.dynamic_mix import DynamicMixDataset
from slimsep.data.factory import BUILDER_KEYS, build_dataset, register
from slimsep.data.folders import PairedFilesDataset, WavFolderDataset
from slimsep.data.synthetic import SyntheticSpec, SyntheticTwoTalker

__all__ = ["BUILDER_KEYS", "DynamicMixDataset", "PairedFilesDataset", "SyntheticSpec", "SyntheticTwoTalker", "WavFolderDataset",
           "build_dataset", "find_conditions", "register"]
