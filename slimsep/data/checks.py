"""Measurements that guard the training pipeline's own output: the batches the mixers hand to the model.

Every function takes what a mixer returns -- ``mix`` [B, T] and ``sources`` [B, 2, T], float, one sample rate --
and measures one property that a mixing bug breaks silently (the loss still goes down on a broken mixer):

* :func:`mixture_consistency`: the mixture is the sum of the references (plus the noise, when there is noise);
* :func:`reference_alignment`: each reference sits in the mixture at lag 0 and at gain 1, which a reference
  shifted by a few samples, or resampled to another rate (its content then drifts away after a few ms), fails;
* :func:`oracle_irm_si_sdri`: what an oracle STFT ratio mask reaches on the mixture, a known number for clean
  fully overlapped speech (about 12 dB SI-SDRi on wsj0-2mix);
* :func:`activity_fractions`: the share of 100-ms frames where both talkers, one, or neither is active, which is
  what the overlap setting is meant to control.

They measure and return; thresholds belong to the caller (tests/data/test_pipeline_checks.py,
scripts/check_pipeline.py), since the right one depends on the corpus (pauses in real speech, for example).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from scipy.signal import istft, stft

from slimsep.losses.sisdr import si_sdr


def _check_shapes(mix: torch.Tensor, sources: torch.Tensor) -> None:
    if sources.dim() != 3 or mix.dim() != 2 or sources.shape[0] != mix.shape[0] or sources.shape[-1] != mix.shape[-1]:
        raise ValueError(f"expected mix [B, T] and sources [B, S, T], got {tuple(mix.shape)} and "
                         f"{tuple(sources.shape)}")


def mixture_consistency(mix: torch.Tensor, sources: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
    """[B] largest absolute sample of ``mix - sources.sum(1) - noise`` (full-scale units, 1.0 = digital peak).

    ``mix`` [B, T], ``sources`` [B, S, T], ``noise`` [B, T] or None (clean mixtures). The mixers sum float32
    signals, so a correct mixer leaves rounding only (~1e-7 at these levels); a mixer that drops the noise from the
    sum, or scales the mixture and not its references, leaves a residual of the order of the signals (~1e-2).
    """
    _check_shapes(mix, sources)
    residual = mix - sources.sum(1)
    if noise is not None:
        residual = residual - noise
    return residual.abs().amax(-1)


class Alignment(NamedTuple):
    """Per mixture and reference, [B, S] each: ``lag`` in samples where the cross-correlation of the mixture with
    the reference peaks (0 when aligned), ``gain`` the least-squares amount of the reference in the mixture at lag
    0, ``<mix, ref> / <ref, ref>`` (1 when the mixture holds the reference itself)."""
    lag: torch.Tensor
    gain: torch.Tensor


def reference_alignment(mix: torch.Tensor, sources: torch.Tensor, max_lag: int = 8) -> Alignment:
    """Where and how much of each reference the mixture holds: :class:`Alignment` ([B, S] lags and gains).

    ``mix`` [B, T], ``sources`` [B, S, T]; ``max_lag`` bounds the searched lags (samples either way). The default,
    1 ms at 8 kHz, finds a shift of a few samples yet stays within half a pitch period of voices up to 500 Hz: a
    voiced (periodic) reference correlates with itself one period away almost as well as at lag 0, and the other
    talker or the noise could tip the peak there. The cross-correlation ``c[l] = sum_t mix[t + l] ref[t]`` is
    computed with an FFT of twice the length (no circular wrap). For a mixture ``ref + other`` the lag-0 gain is 1
    plus the other signals' projection on the reference (a few hundredths for different talkers and noise, up to
    0.13 seen on real speech); a reference resampled to a wrong rate matches the mixture only over a few
    milliseconds, so its gain falls near 0. Silent references get lag 0 and gain 0.
    """
    _check_shapes(mix, sources)
    T = mix.shape[-1]
    n = 2 * T
    spec = torch.fft.rfft(mix.double(), n)[:, None] * torch.fft.rfft(sources.double(), n).conj()
    corr = torch.fft.irfft(spec, n)  # [B, S, n]: lag l at index l (l >= 0) and n + l (l < 0)
    window = torch.cat([corr[..., n - max_lag:], corr[..., :max_lag + 1]], -1)  # lags -max_lag..max_lag
    lag = window.argmax(-1) - max_lag
    energy = sources.double().pow(2).sum(-1)
    gain = torch.where(energy > 0, corr[..., 0] / energy.clamp_min(1e-30), torch.zeros_like(energy))
    return Alignment(lag, gain.float())


def oracle_irm_si_sdri(mix: torch.Tensor, sources: torch.Tensor, sample_rate: int, window_ms: float = 32.0,
                       hop_ms: float = 8.0) -> torch.Tensor:
    """[B] SI-SDR improvement in dB (mean over the sources) of the oracle ideal ratio mask applied to the mixture.

    ``mix`` [B, T], ``sources`` [B, S, T] at ``sample_rate`` Hz. The STFT (scipy.signal.stft, Hann window of
    ``window_ms``, hop ``hop_ms``; 32/8 ms as in the oracle rows of Conv-TasNet, Luo & Mesgarani 2019, Table 5)
    gives each component's magnitude; the mask of source k is ``|S_k| / (sum_j |S_j| + |N|)`` (the magnitude IRM
    of Wang et al. 2014), where N is the STFT of ``mix - sum_j s_j`` (zero on clean mixtures, the noise on noisy
    ones); the estimate is the inverse STFT of the mask times the mixture's STFT (mixture phase). SI-SDRi is
    ``si_sdr(estimate, s_k) - si_sdr(mix, s_k)`` with :func:`slimsep.losses.si_sdr`. Conv-TasNet reports 12.2 dB
    for this mask on wsj0-2mix (clean, fully overlapped, 8 kHz); partial overlap leaves single-talker stretches that
    the mask passes almost untouched, so it scores higher there.
    """
    _check_shapes(mix, sources)
    nperseg = int(round(window_ms * sample_rate / 1000))
    hop = int(round(hop_ms * sample_rate / 1000))
    m = mix.detach().double().cpu().numpy()
    s = sources.detach().double().cpu().numpy()

    def spectrum(x: np.ndarray) -> np.ndarray:
        return stft(x, fs=sample_rate, window="hann", nperseg=nperseg, noverlap=nperseg - hop)[2]

    mix_spec = spectrum(m)  # [B, F, N]
    src_mag = np.abs(spectrum(s))  # [B, S, F, N]
    noise_mag = np.abs(spectrum(m - s.sum(1)))
    mask = src_mag / np.maximum(src_mag.sum(1) + noise_mag, 1e-12)[:, None]
    est = istft(mask * mix_spec[:, None], fs=sample_rate, window="hann", nperseg=nperseg,
                noverlap=nperseg - hop)[1][..., :m.shape[-1]]
    est_t = torch.from_numpy(np.ascontiguousarray(est))
    ref = torch.from_numpy(s)
    base = si_sdr(torch.from_numpy(m)[:, None].expand_as(ref), ref)
    return (si_sdr(est_t, ref) - base).mean(-1).float()


class ActivityFractions(NamedTuple):
    """Shares of a mixture's frames, [B] each, summing to 1: ``both`` talkers active, exactly ``one``, ``none``."""
    both: torch.Tensor
    one: torch.Tensor
    none: torch.Tensor


def activity_fractions(sources: torch.Tensor, sample_rate: int, frame_ms: float = 100.0,
                       threshold_db: float = -40.0) -> ActivityFractions:
    """How much of each mixture has both talkers, one, or neither active: :class:`ActivityFractions`, [B] each.

    ``sources`` [B, 2, T] (a training batch's references) at ``sample_rate`` Hz. The signal is cut into
    non-overlapping frames of ``frame_ms`` (a trailing partial frame is dropped); a talker is active in a frame
    whose mean power is above ``threshold_db`` relative to that talker's loudest frame in the same mixture (the rule
    of :func:`slimsep.data.simulator.activity`, per talker because the two talkers' levels differ by up to 5 dB).
    -40 dB counts quiet speech and breathy ends as active and digital silence (the zero padding of a partial
    overlap) as inactive. A talker that is silent throughout is never active.
    """
    if sources.dim() != 3 or sources.shape[1] != 2:
        raise ValueError(f"expected sources [B, 2, T], got {tuple(sources.shape)}")
    frame = int(round(frame_ms * sample_rate / 1000))
    n = sources.shape[-1] // frame
    if n == 0:
        raise ValueError(f"{sources.shape[-1]} samples hold no {frame_ms:g}-ms frame at {sample_rate} Hz")
    power = sources[..., :n * frame].double().reshape(*sources.shape[:2], n, frame).pow(2).mean(-1)
    active = power > power.amax(-1, keepdim=True) * 10 ** (threshold_db / 10)  # [B, 2, n]; silent: never
    a, b = active[:, 0], active[:, 1]
    both = (a & b).double().mean(-1)
    one = (a ^ b).double().mean(-1)
    return ActivityFractions(both.float(), one.float(), (1 - both - one).float())
