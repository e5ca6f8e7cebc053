"""Mixtures stored as parallel folders of WAV files paired by name: the layout of wsj0-2mix, WHAM! and slimsep's own
simulated conditions (``mix_clean/``, ``mix_both/``, ``s1/``, ``s2/``, ``noise/``)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from slimsep.audio import audio_info, read_audio
from slimsep.errors import SlimsepError

log = logging.getLogger(__name__)


def list_wavs(folder: Path) -> list[str]:
    """Sorted file names of the WAV files in ``folder``; a clear error when it is missing or empty."""
    if not folder.is_dir():
        raise SlimsepError(f"{folder}: folder not found")
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".wav")
    if not names:
        raise SlimsepError(f"{folder}: no .wav files")
    return names


class WavFolderDataset(Dataset):
    """(mixture [T], sources [n_src, T]) pairs from ``mix_dir`` and ``source_dirs``, matched by file name.

    Every file's sample rate is checked against ``sample_rate`` when read (never resampled silently). With
    ``segment`` (seconds), items are random crops of that length (training) from utterances at least that long;
    shorter ones are dropped and the drop is logged. Without it, whole utterances (evaluation).
    """

    def __init__(self, mix_dir: str | Path, source_dirs: list[str | Path], sample_rate: int = 8000,
                 segment: float | None = None, seed: int = 0) -> None:
        self.mix_dir = Path(mix_dir)
        self.source_dirs = [Path(d) for d in source_dirs]
        self.sample_rate = sample_rate
        self.segment = segment
        self.seed = seed
        self.names = self._paired_names()
        if segment is not None:
            self.names = self._drop_short(self.names, int(round(segment * sample_rate)))

    def _paired_names(self) -> list[str]:
        names = list_wavs(self.mix_dir)
        for folder in self.source_dirs:
            missing = sorted(set(names) - set(list_wavs(folder)))
            if missing:
                raise SlimsepError(f"{folder}: missing {len(missing)} source file(s) for mixtures in "
                                   f"{self.mix_dir}, e.g. {missing[0]}")
        return names

    def _drop_short(self, names: list[str], min_len: int) -> list[str]:
        lengths = {n: audio_info(self.mix_dir / n).frames for n in names}
        kept = [n for n in names if lengths[n] >= min_len]
        dropped = [lengths[n] for n in names if lengths[n] < min_len]
        if dropped:
            log.info("%s: dropped %d of %d utterances (%.2f h) shorter than %.2f s", self.mix_dir, len(dropped),
                     len(names), sum(dropped) / self.sample_rate / 3600, min_len / self.sample_rate)
        if not kept:
            raise SlimsepError(f"{self.mix_dir}: no utterance is at least {self.segment} s long")
        return kept

    def __len__(self) -> int:
        return len(self.names)

    def _read(self, path: Path) -> np.ndarray:
        audio, _ = read_audio(path, expected_sr=self.sample_rate, max_channels=1)
        return audio[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        name = self.names[index]
        mix = self._read(self.mix_dir / name)
        sources = np.stack([self._read(d / name) for d in self.source_dirs])
        if sources.shape[1] != mix.shape[0]:
            raise SlimsepError(f"{self.mix_dir / name}: mixture has {mix.shape[0]} samples, sources "
                               f"{sources.shape[1]}")
        if self.segment is not None:
            length = int(round(self.segment * self.sample_rate))
            start = int(np.random.default_rng((self.seed, index, torch.initial_seed() % 2**32))
                        .integers(0, mix.shape[0] - length + 1))
            mix, sources = mix[start:start + length], sources[:, start:start + length]
        return torch.from_numpy(np.ascontiguousarray(mix)), torch.from_numpy(np.ascontiguousarray(sources))

    def item_info(self, index: int) -> dict:
        name = self.names[index]
        return {"id": Path(name).stem, "mixture_path": str(self.mix_dir / name),
                "source_paths": [str(d / name) for d in self.source_dirs]}
