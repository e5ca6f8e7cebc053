"""The two-talker mixture simulator: speaker overlap ratio, noise activity, WSJ0-2mix / WHAM!-like levels.

A mixture is fully described by a :class:`MixtureRecipe` (which files, which crops, where the second talker starts,
the gains, where the noise is). :func:`draw_recipe` draws one from a seeded generator; :func:`render` turns one into
signals. The simulated corpora store the recipes in ``metadata.csv`` and both the build and a later rebuild go through
the same :func:`render`, so every mixture can be rebuilt bit-exactly.

Overlap ratio o is the fraction of the mixture where both talkers are active. Both talkers are cropped to the same
length L; with total length T = 2L / (1 + o) the second starts at T - L, so they share oT samples (o = 1 is the
fully overlapped WSJ0-2mix "min" case). Noise activity a puts noise on one contiguous stretch of aT samples.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FADE = 80  # samples (10 ms at 8 kHz) of raised-cosine fade where noise starts/stops or loops
LEVEL_DBFS = -25.0  # RMS of the louder talker, as in WSJ0-2mix-style scaling
PEAK_LIMIT = 0.9


@dataclass(frozen=True)
class MixtureRecipe:
    mixture_id: str
    source_1: str  # paths relative to the corpus root (or absolute for users' own lists)
    source_2: str
    start_1: int  # crop start inside each source file
    start_2: int
    length: int  # samples taken from each source
    offset_2: int  # where talker 2 starts in the mixture
    gain_1: float
    gain_2: float
    noise: str = ""
    noise_start: int = 0  # crop start inside the noise file
    noise_offset: int = 0  # where the noise stretch starts in the mixture
    noise_length: int = 0
    noise_gain: float = 0.0
    overlap: float = 1.0
    noise_activity: float = 0.0

    @property
    def total_length(self) -> int:
        return self.offset_2 + self.length

    def to_row(self) -> dict[str, str]:
        return {k: repr(v) if isinstance(v, float) else str(v) for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_row(cls, row: dict[str, str]) -> MixtureRecipe:
        kwargs = {}
        for f in dataclasses.fields(cls):
            value = row[f.name]
            kwargs[f.name] = float(value) if f.type == "float" else int(value) if f.type == "int" else value
        return cls(**kwargs)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def layout(length_1: int, length_2: int, overlap: float, max_length: int | None) -> tuple[int, int]:
    """(L, offset of talker 2) so that ``overlap`` of the mixture has both talkers."""
    L = min(length_1, length_2)
    if max_length is not None:
        L = min(L, int(max_length * (1 + overlap) / 2))
    total = int(round(2 * L / (1 + overlap)))
    return L, total - L


def draw_recipe(rng: np.random.Generator, mixture_id: str, sources: tuple[str, str], lengths: tuple[int, int],
                overlap: float, noise_activity: float, load: Callable[[str], np.ndarray],
                noise: str = "", noise_len: int = 0, max_length: int | None = None,
                snr_range: tuple[float, float] = (0.0, 5.0),
                noise_snr_range: tuple[float, float] = (-6.0, 3.0)) -> MixtureRecipe:
    """A random mixture: relative talker level uniform in ``snr_range`` dB (WSJ0-2mix), noise SNR relative to the
    louder talker in ``noise_snr_range`` dB (WHAM!)."""
    L, offset = layout(lengths[0], lengths[1], overlap, max_length)
    start_1 = int(rng.integers(0, lengths[0] - L + 1))
    start_2 = int(rng.integers(0, lengths[1] - L + 1))
    s1 = load(sources[0])[start_1:start_1 + L]
    s2 = load(sources[1])[start_2:start_2 + L]
    snr = float(rng.uniform(*snr_range))
    g1 = 10 ** (LEVEL_DBFS / 20) / _rms(s1) * 10 ** (snr / 40)
    g2 = 10 ** (LEVEL_DBFS / 20) / _rms(s2) * 10 ** (-snr / 40)
    recipe = MixtureRecipe(mixture_id, sources[0], sources[1], start_1, start_2, L, offset, g1, g2,
                           overlap=overlap, noise_activity=noise_activity)
    if noise_activity > 0 and noise:
        n_len = int(round(noise_activity * recipe.total_length))
        n_off = int(rng.integers(0, recipe.total_length - n_len + 1))
        n_start = int(rng.integers(0, max(1, noise_len - n_len + 1)))
        louder = max(_rms(s1) * g1, _rms(s2) * g2)
        raw = _looped(load(noise), n_start, n_len)
        n_gain = louder / _rms(raw) * 10 ** (-float(rng.uniform(*noise_snr_range)) / 20)
        recipe = dataclasses.replace(recipe, noise=noise, noise_start=n_start, noise_offset=n_off,
                                     noise_length=n_len, noise_gain=n_gain)
    return _limit_peak(recipe, load)


def _looped(noise: np.ndarray, start: int, length: int) -> np.ndarray:
    """``length`` samples of ``noise`` from ``start``, looped with a crossfade where it is too short."""
    if start + length <= noise.shape[0]:
        return noise[start:start + length]
    pieces, need, pos = [], length, start
    fade = np.sin(np.linspace(0, np.pi / 2, FADE)) ** 2
    while need > 0:
        piece = noise[pos:pos + need].copy()
        if pieces and piece.shape[0] > FADE:
            tail = pieces[-1][-FADE:]
            piece[:FADE] = piece[:FADE] * fade + tail * fade[::-1]
            pieces[-1] = pieces[-1][:-FADE]
            need += FADE
        pieces.append(piece)
        need -= piece.shape[0]
        pos = 0
    return np.concatenate(pieces)[:length]


def _fade_edges(x: np.ndarray) -> np.ndarray:
    n = min(FADE, x.shape[0] // 2)
    if n:
        ramp = np.sin(np.linspace(0, np.pi / 2, n)) ** 2
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def render(recipe: MixtureRecipe, load: Callable[[str], np.ndarray]) -> dict[str, np.ndarray]:
    """The signals of one mixture: ``s1``, ``s2``, ``noise``, ``mix_clean``, ``mix_both`` (float32, equal length)."""
    T, L = recipe.total_length, recipe.length
    s1 = np.zeros(T, np.float32)
    s2 = np.zeros(T, np.float32)
    noise = np.zeros(T, np.float32)
    s1[:L] = load(recipe.source_1)[recipe.start_1:recipe.start_1 + L] * np.float32(recipe.gain_1)
    s2[recipe.offset_2:] = load(recipe.source_2)[recipe.start_2:recipe.start_2 + L] * np.float32(recipe.gain_2)
    if recipe.noise_length:
        raw = _looped(load(recipe.noise), recipe.noise_start, recipe.noise_length)
        noise[recipe.noise_offset:recipe.noise_offset + recipe.noise_length] = (
            _fade_edges(raw) * np.float32(recipe.noise_gain))
    return mixtures(s1, s2, noise)


def mixtures(s1: np.ndarray, s2: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
    """The signals of a mixture from its parts: the talkers, the noise, and the clean and noisy sums."""
    mix_clean = s1 + s2
    return {"s1": s1, "s2": s2, "noise": noise, "mix_clean": mix_clean, "mix_both": mix_clean + noise}


def _limit_peak(recipe: MixtureRecipe, load: Callable[[str], np.ndarray]) -> MixtureRecipe:
    """Scale all gains down together when the noisy mixture would exceed ``PEAK_LIMIT``."""
    peak = float(np.abs(render(recipe, load)["mix_both"]).max())
    if peak <= PEAK_LIMIT:
        return recipe
    k = PEAK_LIMIT / peak
    return dataclasses.replace(recipe, gain_1=recipe.gain_1 * k, gain_2=recipe.gain_2 * k,
                               noise_gain=recipe.noise_gain * k)


def activity(x: np.ndarray, frame: int = 80, threshold_db: float = -40.0) -> np.ndarray:
    """Per-frame activity (frame energy above ``threshold_db`` relative to the loudest frame); used in tests to
    measure overlap and noise activity back from written files."""
    n = x.shape[0] // frame
    energy = np.square(x[:n * frame].reshape(n, frame)).mean(1)
    return energy > energy.max() * 10 ** (threshold_db / 10) if n else np.zeros(0, bool)
