"""Mixtures stored as parallel folders of WAV files paired by name: the layout of wsj0-2mix, WHAM! and slimsep's own
simulated conditions (``mix_clean/``, ``mix_both/``, ``s1/``, ``s2/``, ``noise/``)."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from slimsep.audio import audio_info, read_audio
from slimsep.errors import AudioError, SlimsepError

log = logging.getLogger(__name__)

TASK_MIX = {"sep_clean": "mix_clean", "sep_noisy": "mix_both"}  # WHAM! task -> the mixture it separates


def task_mixture(task: str) -> str:
    """The mixture folder of a WHAM!-style task (``sep_clean`` -> ``mix_clean``, ``sep_noisy`` -> ``mix_both``),
    also the key of that mixture among a rendered recipe's signals; SlimsepError for another task."""
    if task not in TASK_MIX:
        raise SlimsepError(f"unknown task {task!r}; choose from {', '.join(TASK_MIX)}")
    return TASK_MIX[task]


def list_wavs(folder: Path) -> list[str]:
    """Sorted file names of the WAV files in ``folder``; a clear error when it is missing or empty."""
    if not folder.is_dir():
        raise SlimsepError(f"{folder}: folder not found")
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".wav")
    if not names:
        raise SlimsepError(f"{folder}: no .wav files")
    return names


class PairedFilesDataset(Dataset):
    """(mixture [T], sources [n_src, T]) from a list of (id, mixture path, source paths).

    Every file's sample rate is checked against ``sample_rate`` when read (never resampled silently). With
    ``segment`` (seconds), items are random crops of that length (training) from utterances at least that long;
    shorter ones are dropped and the drop is logged. Without it, whole utterances (evaluation).
    """

    def __init__(self, items: list[tuple[str, Path, list[Path]]], sample_rate: int = 8000,
                 segment: float | None = None, seed: int = 0, label: str = "") -> None:
        self.items, self.sample_rate, self.segment, self.seed = items, sample_rate, segment, seed
        self.label = label
        if segment is not None:
            self.items = self._drop_short(int(round(segment * sample_rate)))

    def _drop_short(self, min_len: int) -> list[tuple[str, Path, list[Path]]]:
        lengths = [audio_info(mix).frames for _, mix, _ in self.items]
        kept = [item for item, n in zip(self.items, lengths) if n >= min_len]
        dropped = [n for n in lengths if n < min_len]
        if dropped:
            log.info("%s: dropped %d of %d utterances (%.2f h) shorter than %.2f s", self.label, len(dropped),
                     len(lengths), sum(dropped) / self.sample_rate / 3600, min_len / self.sample_rate)
        if not kept:
            raise SlimsepError(f"{self.label}: no utterance is at least {self.segment} s long")
        return kept

    def __len__(self) -> int:
        return len(self.items)

    def _read(self, path: Path) -> np.ndarray:
        audio, _ = read_audio(path, expected_sr=self.sample_rate, max_channels=1)
        return audio[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        _, mix_path, source_paths = self.items[index]
        mix = self._read(mix_path)
        sources = [self._read(p) for p in source_paths]
        for path, source in zip(source_paths, sources):  # a shorter or cut-off reference cannot be scored
            if source.shape[0] != mix.shape[0]:
                raise AudioError(path, f"has {source.shape[0]} samples, its mixture {mix_path} {mix.shape[0]}")
        sources = np.stack(sources)
        if self.segment is not None:
            length = int(round(self.segment * self.sample_rate))
            start = int(np.random.default_rng((self.seed, index, torch.initial_seed() % 2**32))
                        .integers(0, mix.shape[0] - length + 1))
            mix, sources = mix[start:start + length], sources[:, start:start + length]
        return torch.from_numpy(np.ascontiguousarray(mix)), torch.from_numpy(np.ascontiguousarray(sources))

    def item_info(self, index: int) -> dict:
        utt_id, mix_path, source_paths = self.items[index]
        return {"id": utt_id, "mixture_path": str(mix_path), "source_paths": [str(p) for p in source_paths]}


class WavFolderDataset(PairedFilesDataset):
    """Mixtures in ``mix_dir`` and sources in ``source_dirs``, matched by file name."""

    def __init__(self, mix_dir: str | Path, source_dirs: list[str | Path], sample_rate: int = 8000,
                 segment: float | None = None, seed: int = 0) -> None:
        self.mix_dir = Path(mix_dir)
        self.source_dirs = [Path(d) for d in source_dirs]
        names = list_wavs(self.mix_dir)
        for folder in self.source_dirs:
            missing = sorted(set(names) - set(list_wavs(folder)))
            if missing:
                raise SlimsepError(f"{folder}: missing {len(missing)} source file(s) for mixtures in "
                                   f"{self.mix_dir}, e.g. {missing[0]}")
        items = [(Path(n).stem, self.mix_dir / n, [d / n for d in self.source_dirs]) for n in names]
        super().__init__(items, sample_rate, segment, seed, label=str(self.mix_dir))
