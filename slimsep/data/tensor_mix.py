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

from slimsep.data.simulator import FADE, LEVEL_DBFS, PEAK_LIMIT
from slimsep.errors import SlimsepError


class ClipBank:
    """Clips concatenated into one tensor: ``audio`` [N], ``starts``/``lengths`` [K] per clip (the noise bank)."""

    def __init__(self, clips: Sequence[np.ndarray], device: torch.device | str = "cpu") -> None:
        arrays = [np.asarray(c, dtype=np.float32) for c in clips]
        if not arrays:
            raise SlimsepError("the clip bank is empty")
        lengths = np.array([c.shape[0] for c in arrays], dtype=np.int64)
        if (lengths < 1).any():
            raise SlimsepError("a clip in the bank is empty")
        self.audio = torch.from_numpy(np.concatenate(arrays)).to(device)
        self.starts = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths)[:-1]])).to(device)
        self.lengths = torch.from_numpy(lengths).to(device)

    @property
    def device(self) -> torch.device:
        return self.audio.device


class SourceBank(ClipBank):
    """Utterances of several speakers, each speaker's contiguous (``first``/``count`` per speaker)."""

    def __init__(self, utterances: dict[str, list[np.ndarray]], device: torch.device | str = "cpu") -> None:
        names = sorted(n for n, u in utterances.items() if u)
        if len(names) < 2:
            raise SlimsepError(f"two-talker mixing needs two speakers with audio, got {len(names)}")
        try:
            super().__init__([c for n in names for c in utterances[n]], device)
        except SlimsepError:
            raise SlimsepError("an utterance in the source bank is empty") from None
        counts = np.array([len(utterances[n]) for n in names], dtype=np.int64)
        self.names = names
        self.first = torch.from_numpy(np.concatenate([[0], np.cumsum(counts)[:-1]])).to(self.device)
        self.count = torch.from_numpy(counts).to(self.device)


def mix_batch(bank: SourceBank, batch: int, samples: int, gen: torch.Generator,
              overlaps: Sequence[float] = (1.0, 0.5, 0.25), snr_db: tuple[float, float] = (0.0, 5.0),
              noise: ClipBank | None = None, activities: Sequence[float] = (0.0, 0.5, 1.0),
              noise_snr_db: tuple[float, float] = (-6.0, 3.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch`` new mixtures of ``samples`` samples: (mix [B, T], sources [B, 2, T]), all on the bank's device.

    ``gen`` is a generator on that device (one stream per run: the draws are reproducible for a seed). With a
    ``noise`` bank the mixture also holds noise (the targets stay the clean talkers, as in WHAM!); without one the
    draws are exactly those of the clean recipe.
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
    mix = sources.sum(1)
    if noise is not None:
        louder = torch.maximum(_rms(sources[:, 0], L), _rms(sources[:, 1], L))
        mix = mix + _noise(noise, gen, offset + L, louder, samples, activities, noise_snr_db)
    scale = (PEAK_LIMIT / mix.abs().amax(-1).clamp_min(1e-8)).clamp_max(1.0)
    return mix * scale[:, None], sources * scale[:, None, None]


def _noise(bank: ClipBank, gen: torch.Generator, total: torch.Tensor, louder: torch.Tensor, samples: int,
           activities: Sequence[float], snr_db: tuple[float, float]) -> torch.Tensor:
    """[B, T] noise: per mixture one stretch of ``activity * total`` samples at a random place inside the mixture's
    ``total`` samples, cut from a random clip (looped where shorter), edges faded over ``FADE`` samples, at an SNR
    relative to the ``louder`` talker's RMS uniform in ``snr_db`` (simulator.draw_recipe)."""
    dev, batch = bank.device, louder.shape[0]

    def uniform() -> torch.Tensor:
        return torch.rand(batch, generator=gen, device=dev)

    table = torch.tensor(list(activities), device=dev, dtype=torch.float32)
    activity = table[(uniform() * len(table)).long().clamp_max(len(table) - 1)]
    n_len = torch.round(activity * total).long()
    n_off = (uniform() * (total - n_len + 1)).long().clamp_max(total - n_len)
    clip = (uniform() * bank.lengths.numel()).long().clamp_max(bank.lengths.numel() - 1)
    c_len = bank.lengths[clip]
    c_start = (uniform() * (c_len - n_len).clamp_min(0).add(1)).long()
    t = torch.arange(samples, device=dev)[None] - n_off[:, None]  # position inside the stretch
    inside = (t >= 0) & (t < n_len[:, None])
    index = bank.starts[clip][:, None] + (c_start[:, None] + t.clamp_min(0)) % c_len[:, None]
    raw = torch.where(inside, bank.audio[index], torch.zeros((), device=dev))
    edge = torch.minimum(t, n_len[:, None] - 1 - t).clamp(0, FADE).float()
    ramp = torch.sin(edge / FADE * torch.pi / 2) ** 2  # raised cosine, 1 from FADE samples inside the stretch
    snr = snr_db[0] + (snr_db[1] - snr_db[0]) * uniform()
    gain = louder / _rms(raw, n_len) * 10 ** (-snr / 20)
    return raw * ramp * torch.where(n_len > 0, gain, torch.zeros_like(gain))[:, None]


def _crop(bank: SourceBank, start: torch.Tensor, t: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    """[B, T]: ``audio[start + t]`` where ``0 <= t < length``, else 0."""
    inside = (t >= 0) & (t < length[:, None])
    index = (start[:, None] + t.clamp_min(0)).clamp_max(bank.audio.numel() - 1)
    return torch.where(inside, bank.audio[index], torch.zeros((), device=bank.device))


def _rms(x: torch.Tensor, length: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(x.pow(2).sum(-1) / length.clamp_min(1) + 1e-12)


class TensorMixStream(IterableDataset):
    """Endless batches from :func:`mix_batch`, for a DataLoader with ``batch_size=None, num_workers=0``."""

    def __init__(self, bank: SourceBank, batch: int, seconds: float, sample_rate: int, seed: int,
                 noise: ClipBank | None = None) -> None:
        super().__init__()
        self.bank, self.batch, self.seed, self.noise = bank, batch, seed, noise
        self.sample_rate = sample_rate  # read by data.factory.check_sample_rate
        self.samples = int(round(seconds * sample_rate))

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator(device=self.bank.device).manual_seed(self.seed)
        while True:
            yield mix_batch(self.bank, self.batch, self.samples, gen, noise=self.noise)
