"""On-device mixing for the GPU recipe (slimsep.data.tensor_mix): the simulator's recipe, clean and noisy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from slimsep.data.tensor_mix import ClipBank, SourceBank, TensorMixStream, mix_batch
from slimsep.errors import SlimsepError
from tests.conftest import voice_tone as _voice


def _noise_bank(seconds: float = 4.0, clips: int = 3) -> ClipBank:
    rng = np.random.default_rng(5)
    return ClipBank([(0.1 * rng.standard_normal(int(seconds * 8000))).astype(np.float32) for _ in range(clips)])


def _bank() -> SourceBank:
    return SourceBank({f"s{k}": [_voice(2.0 + i, 100 + 80 * k, 7 * k + i) for i in range(3)] for k in range(4)})


def test_mix_batch_follows_the_simulator_recipe() -> None:
    bank = _bank()
    gen = torch.Generator().manual_seed(0)
    mix, src = mix_batch(bank, 64, 16000, gen, overlaps=(1.0,))
    assert mix.shape == (64, 16000) and src.shape == (64, 2, 16000)
    assert torch.allclose(mix, src.sum(1), atol=1e-6)
    assert float(mix.abs().max()) <= 0.9 + 1e-5
    # overlap 1: both talkers over the whole span, levels centred on -25 dBFS and 0-5 dB apart (simulator)
    rms = src.pow(2).mean(-1).sqrt()
    centre_db = 10 * torch.log10(rms.prod(1))
    assert torch.all((centre_db > -25.1) & (centre_db < -24.9))
    gap = 20 * torch.log10(rms.max(1).values / rms.min(1).values)
    assert torch.all(gap <= 5.01)
    # two different speakers: their tones differ, so the sources are never the same signal
    corr = torch.nn.functional.cosine_similarity(src[:, 0], src[:, 1], dim=-1)
    assert torch.all(corr.abs() < 0.5)


def test_mix_batch_partial_overlap_leaves_single_talker_stretches() -> None:
    bank = SourceBank({f"s{k}": [_voice(3.0, 100 + 80 * k, k)] for k in range(3)})
    _, src = mix_batch(bank, 16, 16000, torch.Generator().manual_seed(1), overlaps=(0.25,))
    active = src.abs() > 1e-6
    both = (active[:, 0] & active[:, 1]).float().sum(-1)
    either = (active[:, 0] | active[:, 1]).float().sum(-1)
    assert torch.allclose(both / either, torch.full_like(both, 0.25), atol=0.02)


def test_without_noise_the_noisy_option_changes_nothing() -> None:
    """Activity 0 everywhere: the mixture is the clean sum, and a clean run's draws are those of before."""
    bank = _bank()
    clean = mix_batch(bank, 16, 16000, torch.Generator().manual_seed(3))
    silent = mix_batch(bank, 16, 16000, torch.Generator().manual_seed(3), noise=_noise_bank(), activities=(0.0,))
    assert torch.allclose(clean[0], silent[0], atol=1e-6) and torch.allclose(clean[1], silent[1], atol=1e-6)


def test_full_noise_activity_spans_the_mixture_at_a_wham_snr() -> None:
    bank = _bank()
    mix, src = mix_batch(bank, 64, 16000, torch.Generator().manual_seed(0), overlaps=(1.0,),
                         noise=_noise_bank(), activities=(1.0,))
    noise = mix - src.sum(1)
    assert float(mix.abs().max()) <= 0.9 + 1e-5
    # noise everywhere but the 10-ms raised-cosine edges
    assert bool((noise[:, 100:-100].abs().mean(-1) > 1e-3).all())
    louder = src.pow(2).mean(-1).sqrt().amax(1)
    snr = 20 * torch.log10(louder / noise.pow(2).mean(-1).sqrt())
    assert bool(((snr > -6.2) & (snr < 3.2)).all()), snr  # draw_recipe's WHAM!-style range, -6..3 dB
    assert float(snr.max() - snr.min()) > 3  # drawn, not fixed


def test_half_noise_activity_is_one_contiguous_stretch() -> None:
    mix, src = mix_batch(_bank(), 32, 16000, torch.Generator().manual_seed(2), overlaps=(1.0,),
                         noise=_noise_bank(), activities=(0.5,))
    active = (mix - src.sum(1)).abs() > 1e-6
    share = active.float().mean(-1)
    assert torch.allclose(share, torch.full_like(share, 0.5), atol=0.02)
    t = torch.arange(active.shape[-1]).expand_as(active)
    first = torch.where(active, t, active.shape[-1]).amin(-1)
    last = torch.where(active, t, -1).amax(-1)
    span = (last - first + 1).float() / active.shape[-1]
    assert torch.allclose(span, share, atol=0.01)  # contiguous: its span is its share


def test_short_noise_clips_loop() -> None:
    mix, src = mix_batch(_bank(), 8, 16000, torch.Generator().manual_seed(4), overlaps=(1.0,),
                         noise=_noise_bank(seconds=0.5), activities=(1.0,))
    assert bool(((mix - src.sum(1))[:, 100:-100].abs().mean(-1) > 1e-3).all())


def test_stream_passes_the_noise_bank_on() -> None:
    stream = TensorMixStream(_bank(), 4, 1.0, 8000, seed=0, noise=_noise_bank())
    mix, src = next(iter(stream))
    assert mix.shape == (4, 8000) and src.shape == (4, 2, 8000)


def test_empty_banks_are_one_line_errors() -> None:
    with pytest.raises(SlimsepError, match="empty"):
        ClipBank([])
    with pytest.raises(SlimsepError, match="utterance in the source bank is empty"):
        SourceBank({"a": [np.zeros(0, np.float32)], "b": [np.ones(3, np.float32)]})
