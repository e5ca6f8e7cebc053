"""Dynamic two-talker mixing on the training device, from sources held in one tensor.

On a GPU, CPU-side mixing (file reads, soxr) cannot keep up with bf16 steps, least of all when several runs share
the machine. Here all utterances live in one flat tensor on the device and a whole batch of mixtures is drawn with
a few gathers: the same recipe as :class:`slimsep.data.dynamic_mix.DynamicMixDataset` for ``sep_clean`` (two
different speakers drawn uniformly, one utterance each, overlap ratio from {1, 0.5, 0.25} laid out as in
:func:`slimsep.data.simulator.layout`, talker levels -25 dBFS +- half a relative level uniform in 0-5 dB, all
gains scaled down together when the mixture would peak above 0.9, shorter mixtures ending in silence), without
the speed perturbation and the noise.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import IterableDataset

from slimsep.data.simulator import LEVEL_DBFS, PEAK_LIMIT
from slimsep.errors import SlimsepError


class SourceBank:
    """Utterances of several speakers, concatenated: ``audio`` [N] with ``starts``/``lengths`` per utterance and
    each speaker's utterances contiguous (``first``/``count`` per speaker)."""

    def __init__(self, utterances: dict[str, list[np.ndarray]], device: torch.device | str = "cpu") -> None:
        names = sorted(n for n, u in utterances.items() if u)
        if len(names) < 2:
            raise SlimsepError(f"two-talker mixing needs two speakers with audio, got {len(names)}")
        clips = [np.asarray(c, dtype=np.float32) for n in names for c in utterances[n]]
        lengths = np.array([c.shape[0] for c in clips], dtype=np.int64)
        if (lengths < 1).any():
            raise SlimsepError("an utterance in the source bank is empty")
        counts = np.array([len(utterances[n]) for n in names], dtype=np.int64)
        self.names = names
        self.audio = torch.from_numpy(np.concatenate(clips)).to(device)
        self.starts = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]])).to(device)
        self.lengths = torch.from_numpy(lengths).to(device)
        self.first = torch.from_numpy(np.concatenate([[0], np.cumsum(counts)[:-1]])).to(device)
        self.count = torch.from_numpy(counts).to(device)

    @property
    def device(self) -> torch.device:
        return self.audio.device


def mix_batch(bank: SourceBank, batch: int, samples: int, gen: torch.Generator,
              overlaps: Sequence[float] = (1.0, 0.5, 0.25), snr_db: tuple[float, float] = (0.0, 5.0)
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch`` new mixtures of ``samples`` samples: (mix [B, T], sources [B, 2, T]), all on the bank's device.

    ``gen`` is a generator on that device (one stream per run: the draws are reproducible for a seed).
    """
    dev = bank.device

    def uniform(n: int) -> torch.Tensor:
        return torch.rand(n, generator=gen, device=dev)

    n_spk = len(bank.names)
    a = (uniform(batch) * n_spk).long().clamp_max(n_spk - 1)
    b = (a + 1 + (uniform(batch) * (n_spk - 1)).long().clamp_max(n_spk - 2)) % n_spk  # another speaker
    u1 = bank.first[a] + (uniform(batch) * bank.count[a]).long().clamp_max(bank.count[a] - 1)
    u2 = bank.first[b] + (uniform(batch) * bank.count[b]).long().clamp_max(bank.count[b] - 1)
    table = torch.tensor(list(overlaps), device=dev, dtype=torch.float32)
    overlap = table[(uniform(batch) * len(table)).long().clamp_max(len(table) - 1)]
    len1, len2 = bank.lengths[u1], bank.lengths[u2]
    L = torch.minimum(torch.minimum(len1, len2), (samples * (1 + overlap) / 2).long())  # simulator.layout
    offset = torch.round(2 * L / (1 + overlap)).long() - L
    c1 = (uniform(batch) * (len1 - L + 1)).long().clamp_max(len1 - L)
    c2 = (uniform(batch) * (len2 - L + 1)).long().clamp_max(len2 - L)
    t = torch.arange(samples, device=dev)[None]
    s1 = _crop(bank, bank.starts[u1] + c1, t, L)
    s2 = _crop(bank, bank.starts[u2] + c2, t - offset[:, None], L)
    snr = snr_db[0] + (snr_db[1] - snr_db[0]) * uniform(batch)
    level = 10 ** (LEVEL_DBFS / 20)
    g1 = level / _rms(s1, L) * 10 ** (snr / 40)
    g2 = level / _rms(s2, L) * 10 ** (-snr / 40)
    sources = torch.stack([s1 * g1[:, None], s2 * g2[:, None]], dim=1)
    peak = sources.sum(1).abs().amax(-1).clamp_min(1e-8)
    sources = sources * (PEAK_LIMIT / peak).clamp_max(1.0)[:, None, None]
    return sources.sum(1), sources


def _crop(bank: SourceBank, start: torch.Tensor, t: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """[B, T]: ``audio[start + t]`` where ``0 <= t < length``, else 0."""
    inside = (t >= 0) & (t < length[:, None])
    index = (start[:, None] + t.clamp_min(0)).clamp_max(bank.audio.numel() - 1)
    return torch.where(inside, bank.audio[index], torch.zeros((), device=bank.device))


def _rms(x: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(x.pow(2).sum(-1) / length.clamp_min(1) + 1e-12)


class TensorMixStream(IterableDataset):
    """Endless batches from :func:`mix_batch`, for a DataLoader with ``batch_size=None, num_workers=0``."""

    def __init__(self, bank: SourceBank, batch: int, seconds: float, sample_rate: int, seed: int) -> None:
        super().__init__()
        self.bank, self.batch, self.seed = bank, batch, seed
        self.sample_rate = sample_rate  # read by data.factory.check_sample_rate
        self.samples = int(round(seconds * sample_rate))

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator(device=self.bank.device).manual_seed(self.seed)
        while True:
            yield mix_batch(self.bank, self.batch, self.samples, gen)
