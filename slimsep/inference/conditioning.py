"""What the network sees and how its outputs are turned back into talkers: level, DC, sign and downmix.

- Integer arrays are scaled to [-1, 1) as soundfile reads integer WAVs, so an int16 array and the float array of the
  same samples give the same result.
- DC and sub-audio are removed with a zero-phase Butterworth high-pass (``HIGHPASS_HZ``, order 4, scipy
  ``sosfiltfilt``), and each window reaches the network at one fixed RMS (``TARGET_DBFS``, the level of the
  training mixtures: the simulator puts the louder talker at -25 dBFS RMS). The networks are not gain-invariant
  (encoder bias, norm epsilon), so without this the shipped model's SI-SDRi fell from 5.8 dB at -20 dBFS to 0.4 dB
  at -50 dBFS and its gates went slim on quiet input. The level is restored afterwards by ``match_mixture_level``.
- SI-SDR is invariant to the estimate's sign, so a network trained with it may output -s: each estimate's sign is
  chosen so that it correlates positively with the (high-passed) mixture, as a talker in it does.
- Channels are averaged, unless the average is far below the channels (antiphase, right = -left): then the loudest
  channel is used, and the report says so.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.signal import butter, sosfiltfilt

from slimsep.errors import SlimsepError

HIGHPASS_HZ = 30.0
TARGET_DBFS = -23.0
SILENT_RMS = 1e-9  # below this (-180 dBFS) a window is treated as silence: zero estimates, no gain applied
CANCEL_DB = 20.0  # a channel mean this far below the channels' mean energy counts as cancelled
BLOCK = 1 << 16


def as_float_audio(waveform: np.ndarray) -> np.ndarray:
    """Any real numeric array -> float32; integers scaled by 2^(bits-1) (unsigned ones centred first), floats
    unchanged. Raises SlimsepError for other dtypes: a complex array has no one real signal to separate (casting
    would drop its imaginary part without a word), strings and objects are not samples."""
    data = np.asarray(waveform)
    if data.dtype == np.bool_ or not (np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)):
        raise SlimsepError(f"waveform of dtype {data.dtype}: expected real samples (float or integer)")
    if np.issubdtype(data.dtype, np.unsignedinteger):
        half = 2.0 ** (8 * data.dtype.itemsize - 1)
        return ((data.astype(np.float64) - half) / half).astype(np.float32)
    if np.issubdtype(data.dtype, np.integer):
        return (data.astype(np.float64) / 2.0 ** (8 * data.dtype.itemsize - 1)).astype(np.float32)
    return data.astype(np.float32)


def highpass(x: np.ndarray, sample_rate: int, cutoff: float = HIGHPASS_HZ) -> np.ndarray:
    """``x`` [T] without DC and content below ``cutoff`` Hz (zero phase, so estimates stay aligned with the input)."""
    sos = butter(4, cutoff, btype="highpass", fs=sample_rate, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), x.shape[-1] - 1)
    return sosfiltfilt(sos, x.astype(np.float64), padlen=max(padlen, 0)).astype(np.float32)


def network_gain(x: np.ndarray, target_dbfs: float = TARGET_DBFS) -> float:
    """The gain that brings ``x`` [T] to ``target_dbfs`` RMS; 0.0 for a (near-)silent window."""
    rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
    return 10 ** (target_dbfs / 20) / rms if rms > SILENT_RMS else 0.0


def orient(estimates: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """``estimates`` [S, T] with each sign chosen so the estimate correlates positively with ``mixture`` [T]."""
    signs = np.where(estimates.astype(np.float64) @ mixture.astype(np.float64) < 0, -1.0, 1.0)
    return (estimates * signs[:, None].astype(np.float32)).astype(np.float32)


class Downmix:
    """How [channels, n] audio becomes the one mixture channel the model separates (see module docstring)."""

    def __init__(self, channel: int | None = None, note: str = "") -> None:
        self.channel, self.note = channel, note  # channel None: the mean of all channels

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        if audio.ndim == 1:
            return audio
        return audio.mean(0, dtype=np.float64).astype(np.float32) if self.channel is None else audio[self.channel]

    @classmethod
    def plan(cls, read: Callable[[int, int], np.ndarray], n_samples: int) -> Downmix:
        """Read the input once in blocks (``read(start, end)`` -> [channels, end - start]) and choose the downmix."""
        per_channel, of_mean = 0.0, 0.0
        for start in range(0, n_samples, BLOCK):
            block = read(start, min(n_samples, start + BLOCK)).astype(np.float64)
            if block.ndim == 1 or block.shape[0] == 1:
                return cls()
            per_channel = per_channel + np.sum(block ** 2, axis=1)
            of_mean += float(np.sum(block.mean(0) ** 2))
        mean_energy = float(np.mean(per_channel))
        if mean_energy == 0 or of_mean >= mean_energy * 10 ** (-CANCEL_DB / 10):
            return cls()
        loudest = int(np.argmax(per_channel))
        below = f"{10 * np.log10(mean_energy / of_mean):.0f} dB below them" if of_mean > 0 else "silent"
        return cls(loudest, f"the channels cancel when averaged (their mean is {below}, e.g. antiphase stereo): "
                            f"separated channel {loudest + 1} alone")
