"""slimsep.losses.regret: per-chunk regret of each width adds up to the utterance's SI-SDR drop; gates follow it."""
from __future__ import annotations

import torch

from slimsep.losses import chunk_errors, regret_loss, si_sdr, width_regret


def _spans(n: int, hop: int) -> torch.Tensor:
    """Chunks of 2 * hop samples overlapping by half, as the dual-path chunks do."""
    starts = torch.arange(0, n - hop, hop)
    return torch.stack([starts, (starts + 2 * hop).clamp(max=n)], 1)


def test_regret_sums_to_the_utterance_si_sdr_drop_and_sits_where_the_error_grew() -> None:
    gen = torch.Generator().manual_seed(0)
    n, hop = 16000, 500
    ref = torch.randn(1, 2, n, generator=gen)
    full = ref + 0.1 * torch.randn(1, 2, n, generator=gen)
    slim = full.clone()
    slim[..., 9000:11000] += 0.05 * torch.randn(1, 2, 2000, generator=gen)  # worse in the middle only
    spans = _spans(n, hop)
    e_full, e_slim = chunk_errors(full, ref, spans), chunk_errors(slim, ref, spans)
    errors = torch.stack([e_slim, e_full], -1)[:, None]  # [B, R=1, C, W=2]
    regret = width_regret(errors, e_full)
    assert regret.shape == (1, 1, spans.shape[0], 2)
    assert torch.all(regret[..., 1] == 0)  # full width regrets nothing
    drop = (si_sdr(full, ref) - si_sdr(slim, ref)).mean()  # the utterance's SI-SDR drop, mean over talkers
    assert torch.isclose(regret[..., 0].sum(), drop, rtol=0.1), (regret[..., 0].sum(), drop)
    middle = (spans[:, 1] > 9000) & (spans[:, 0] < 11000)
    assert regret[0, 0, ~middle, 0].abs().max() < 0.02 * regret[0, 0, middle, 0].sum()


def test_minimising_expected_regret_plus_cost_picks_the_cheapest_width_that_loses_little() -> None:
    costs = torch.tensor([0.25, 1.0])
    regret = torch.tensor([[[[0.0, 0.0], [2.0, 0.0], [0.1, 0.0]]]])  # [B=1, R=1, C=3, W=2] in dB
    logits = torch.zeros(1, 1, 3, 2, requires_grad=True)
    opt = torch.optim.Adam([logits], lr=0.1)
    for _ in range(300):
        probs = logits.softmax(-1)
        loss = regret_loss(probs, regret) + 1.0 * (probs * costs).sum(-1).mean() * 3  # 1 dB per unit cost and chunk
        opt.zero_grad()
        loss.backward()
        opt.step()
    choice = logits.argmax(-1)[0, 0].tolist()
    assert choice == [0, 1, 0]  # slim where it loses nothing or less than its price, full where it loses 2 dB
