"""An absent talker's output is asked to be silent: the score PIT uses for a silent reference."""
from __future__ import annotations

import torch

from slimsep.losses.sisdr import SILENT_CAP_DB, pit_si_sdr, silent_output_score


def _voice(seed: int, n: int = 8000) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, generator=g) * torch.sin(torch.linspace(0, 20, n)).abs()


def test_splitting_a_lone_voice_scores_lower_than_keeping_it_in_one_output() -> None:
    voice = _voice(0)
    ref = torch.stack([voice, torch.zeros_like(voice)])[None]  # talker 2 absent
    mix = voice[None]
    kept = torch.stack([voice, torch.zeros_like(voice)])[None]
    split = torch.stack([0.5 * voice, 0.5 * voice])[None]
    kept_score, kept_perm = pit_si_sdr(kept, ref, mix=mix)
    split_score, _ = pit_si_sdr(split, ref, mix=mix)
    assert kept_perm.tolist() == [[0, 1]]
    assert split_score.item() < kept_score.item() - 10
    swapped_score, swapped_perm = pit_si_sdr(kept.flip(1), ref, mix=mix)
    assert swapped_perm.tolist() == [[1, 0]] and abs(swapped_score.item() - kept_score.item()) < 1e-3


def test_the_silent_score_is_capped_and_zero_db_for_the_whole_mixture() -> None:
    mix = _voice(1)[None]
    assert abs(silent_output_score(torch.zeros(1, 1, 8000), mix).item() - SILENT_CAP_DB) < 1e-3
    assert abs(silent_output_score(mix[:, None], mix).item()) < 0.01


def test_without_an_absent_talker_the_score_is_plain_pit_si_sdr() -> None:
    ref = torch.stack([_voice(2), _voice(3)])[None]
    est = ref + 0.1 * torch.stack([_voice(4), _voice(5)])[None]
    plain, perm = pit_si_sdr(est, ref)
    with_mix, perm_mix = pit_si_sdr(est, ref, mix=ref.sum(1))
    assert torch.equal(plain, with_mix) and torch.equal(perm, perm_mix)


def test_the_silent_score_has_a_finite_gradient_at_a_silent_output() -> None:
    est = torch.zeros(1, 2, 8000, requires_grad=True)
    voice = _voice(6)
    score, _ = pit_si_sdr(est + 1e-9, torch.stack([voice, torch.zeros_like(voice)])[None], mix=voice[None])
    score.sum().backward()
    assert torch.isfinite(est.grad).all()
