"""On-the-fly two-talker mixing for training: a new mixture for every (epoch, index), reproducibly.

Random overlap ratios and noise activities show the model (and its gates) silent, single-talker and overlapped
stretches in every batch. The draw depends only on (seed, epoch, index), so DDP ranks and resumed runs agree.

Which talkers meet is set by ``speaker_weighting``: "uniform" gives every speaker the same chance; "duration"
draws a speaker with probability proportional to its amount of speech, as wsj0-2mix and LibriMix do by drawing
utterances. On the open corpus, where 70 of 76 training speakers have a few lines each (18 % of the speech),
"uniform" validated better (docs/data.md), so it is the default. Training-only augmentation
(:mod:`slimsep.data.augment`, all off by default): ``speed_range`` plays each talker at a random speed in that range,
``pitch_range`` shifts each talker's pitch by a random number of semitones, ``gain_range`` gives each talker a random
gain in dB, ``mix_gain_range`` gives the whole mixture (and its targets) one random gain in dB, ``single_talker``
is the share of items with one talker absent (its reference silent; the training loss then asks its output to be
silent, so a lone voice is not split across both outputs).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from slimsep.audio import fit_length
from slimsep.data.augment import (check_range, check_share, check_speed_range, drop_talker, gain_mixture,
                                  gain_talkers, perturb_talkers, shift_talkers)
from slimsep.data.folders import task_mixture
from slimsep.data.pools import (audio_loader, check_pool_files, draw_pair_recipe, speaker_pools,
                                speaker_probabilities)
from slimsep.data.simulator import render

class DynamicMixDataset(Dataset):
    """``n_items`` mixtures of ``segment`` seconds per epoch from the speakers of ``split`` in an open-corpus root."""

    def __init__(self, root: str | Path, split: str = "train", segment: float = 4.0, n_items: int = 2000,
                 overlaps: tuple[float, ...] = (1.0, 0.5, 0.25), activities: tuple[float, ...] = (0.0, 0.5, 1.0),
                 task: str = "sep_noisy", seed: int = 0, sample_rate: int = 8000,
                 speaker_weighting: str = "uniform", speed_range: tuple[float, float] | None = None,
                 pitch_range: tuple[float, float] | None = None, gain_range: tuple[float, float] | None = None,
                 mix_gain_range: tuple[float, float] | None = None, single_talker: float = 0.0,
                 load: Callable[[str], np.ndarray] | None = None) -> None:
        """``load`` reads a manifest path into float32 audio at ``sample_rate`` (default: the files under ``root``,
        each checked to exist at that rate before any work); another loader (an in-memory pack, as
        ``scripts/recipe_controls.py`` uses) skips the file check, since its paths name no files."""
        task_mixture(task)  # a clear error for an unknown task before any work
        self.root = Path(root)
        self.speakers, self.noises = speaker_pools(self.root, split)
        if load is None:
            check_pool_files(self.root, [e for utts in self.speakers.values() for e in utts] + self.noises,
                             sample_rate)
        self.speaker_p = speaker_probabilities(self.speakers, speaker_weighting)
        self.load = load or audio_loader(self.root)
        self.segment, self.n_items, self.seed = segment, n_items, seed
        self.overlaps, self.activities, self.task = overlaps, activities, task
        self.sample_rate = sample_rate
        self.speed_range = check_speed_range(speed_range)
        self.pitch_range = check_range(pitch_range, "pitch_range (semitones)", -12.0, 12.0)
        self.gain_range = check_range(gain_range, "gain_range (dB)", -40.0, 40.0)
        self.mix_gain_range = check_range(mix_gain_range, "mix_gain_range (dB)", -60.0, 20.0)
        self.single_talker = check_share(single_talker, "single_talker")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by the training loop at each epoch start (a new draw of mixtures)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        overlap = float(rng.choice(self.overlaps))
        activity = float(rng.choice(self.activities)) if self.task == "sep_noisy" else 0.0
        length = int(self.segment * self.sample_rate)
        recipe = draw_pair_recipe(rng, f"dyn_{index}", self.speakers, self.noises, self.load, overlap, activity,
                                  max_length=length, speaker_p=self.speaker_p)
        signals = render(recipe, self.load)
        signals = self._augment(signals, rng)
        # Shorter utterances end in silence (an easy stretch, as in real recordings).
        mix = fit_length(signals[task_mixture(self.task)], length)
        sources = fit_length(np.stack([signals["s1"], signals["s2"]]), length)
        return torch.from_numpy(mix.copy()), torch.from_numpy(sources.copy())

    def _augment(self, signals: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        """The options that are on, each drawn after the mixture (so mixtures without them stay as they were)."""
        if self.speed_range is not None:
            signals = perturb_talkers(signals, tuple(rng.uniform(*self.speed_range, size=2)), self.sample_rate)
        if self.pitch_range is not None:
            signals = shift_talkers(signals, tuple(rng.uniform(*self.pitch_range, size=2)), self.sample_rate)
        if self.gain_range is not None:
            signals = gain_talkers(signals, tuple(rng.uniform(*self.gain_range, size=2)))
        if self.mix_gain_range is not None:
            signals = gain_mixture(signals, float(rng.uniform(*self.mix_gain_range)))
        if self.single_talker > 0 and rng.random() < self.single_talker:
            signals = drop_talker(signals, int(rng.integers(2)))
        return signals

    def item_info(self, index: int) -> dict:
        return {"id": f"dynamic_{self.epoch}_{index}", "split": "train"}
