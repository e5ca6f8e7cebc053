"""Grouped execution (chunks batched by width) must equal running each chunk on its own at its width."""
from __future__ import annotations

import math

import pytest
import torch

from slimsep.models import DSN, get_config
from slimsep.models.dual_path import DualPathBlock
from slimsep.models.transformer import SlimTransformerLayer, sinusoidal_encoding
from tests.conftest import randomise


def naive_layer_tokens(layer: SlimTransformerLayer, x: torch.Tensor, width: float) -> tuple:
    """Per-token Q/K/V of one chunk, zero-padded to the full attention width."""
    full = layer.cfg.attn_dim
    d = layer.attn_width(width)
    q, k, v = (torch.nn.functional.pad(t, (0, full - d)) for t in layer.project(x, width)) if d else (
        x.new_zeros(*x.shape[:-1], full),) * 3
    return q, k, v


def naive_block(block: DualPathBlock, x: torch.Tensor, widths: list[list[float]]) -> torch.Tensor:
    """Reference: every chunk alone through the intra layers; inter attention written head by head."""
    cfg = block.cfg
    B, C, K, D = x.shape
    out = x.clone()
    for b in range(B):
        for c in range(C):
            pos = sinusoidal_encoding(K, D, x.device, x.dtype) if cfg.intra_type == "transformer" else 0
            h = x[b, c : c + 1] + pos
            for layer in block.intra:
                h = layer(h, widths[b][c])
            if cfg.stack_norm:  # x + LayerNorm(stack(x + pos)); a skipped chunk passes unchanged
                h = x[b, c : c + 1] + block.intra_norm(h) if widths[b][c] else x[b, c : c + 1]
            out[b, c] = h[0]
    start = out.clone()
    out = out + sinusoidal_encoding(C, D, x.device, x.dtype)[None, :, None, :]
    hd = cfg.attn_head_dim
    for layer in block.inter:
        qkv = [naive_layer_tokens(layer, out[b, c], widths[b][c]) for b in range(B) for c in range(C)]
        q, k, v = (torch.stack([t[i] for t in qkv]).reshape(B, C, K, -1) for i in range(3))
        att = torch.zeros_like(q)
        for b in range(B):
            for h in range(cfg.n_heads):
                sl = slice(h * hd, (h + 1) * hd)
                visible = torch.tensor([cfg.heads_at(widths[b][c]) > h for c in range(C)])
                if not visible.any():
                    continue
                logits = torch.einsum("ckd,ekd->kce", q[b, :, :, sl], k[b, :, :, sl]) / math.sqrt(hd)
                logits = logits.masked_fill(~visible[None, None, :], float("-inf"))
                att[b, :, :, sl] = torch.einsum("kce,ekd->ckd", logits.softmax(-1), v[b, :, :, sl])
        new = out.clone()
        for b in range(B):
            for c in range(C):
                w = widths[b][c]
                if w == 0:
                    continue
                y = out[b, c] + layer.attend_out(att[b, c], w)
                new[b, c] = y + layer.feed_forward(y, w)
        out = new
    if cfg.stack_norm:
        skipped = torch.tensor([[w == 0 for w in row] for row in widths])[:, :, None, None]
        out = torch.where(skipped, start, start + block.inter_norm(out))
    return out


@pytest.mark.parametrize("intra_type", ["transformer", "conv"])
@pytest.mark.parametrize("stack_norm", [False, True])
@pytest.mark.parametrize("widths_set", [(0.125, 0.25, 0.5, 1.0), (0.0, 0.25, 1.0)])
def test_grouped_block_equals_per_chunk_reference(widths_set: tuple, stack_norm: bool, intra_type: str) -> None:
    cfg = get_config("tiny", widths=widths_set, intra_layers=2, inter_layers=2, n_heads=4, d_model=32,
                     stack_norm=stack_norm, intra_type=intra_type)
    block = randomise(DualPathBlock(cfg)).eval()
    B, C, K = 2, 5, cfg.chunk_size
    x = torch.randn(B, C, K, cfg.d_model)
    index = torch.randint(0, len(widths_set), (B, C))
    index[0, 0] = len(widths_set) - 1  # make sure the widest and a narrow width are both present
    index[1, 1] = 0
    widths = [[widths_set[i] for i in row] for row in index.tolist()]
    with torch.no_grad():
        got = block.forward_grouped(x, index)
        want = naive_block(block, x, widths)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("options", [{}, {"in_norm": "global", "stack_norm": True, "final_norm": True},
                                     {"stack_norm": True, "slim_inter": False, "widths": (0.0, 0.5, 1.0)},
                                     {"intra_type": "conv", "intra_layers": 3, "widths": (0.125, 0.5, 1.0)},
                                     {"inter_type": "lstm", "slim_inter": False, "lstm_hidden": 24, "inter_layers": 2,
                                      "widths": (0.0, 0.5, 1.0)}])
def test_uniform_assignment_equals_static_path(options: dict) -> None:
    model = randomise(DSN(get_config("tiny", **options))).eval()
    mix = torch.randn(2, 4000)
    C = model.n_chunks(4000)
    for i, w in enumerate(model.cfg.widths):
        forced = torch.full((model.cfg.n_blocks, C), i, dtype=torch.long)
        with torch.no_grad():
            torch.testing.assert_close(model(mix, forced).estimates, model(mix, w).estimates, rtol=1e-4, atol=3e-5)


def test_batch_items_are_independent() -> None:
    """A batch of utterances with different assignments equals running them one by one."""
    model = randomise(DSN(get_config("small"))).eval()
    mix = torch.randn(3, 3200)
    idx = torch.randint(0, 4, (3, model.cfg.n_blocks, model.n_chunks(3200)))
    with torch.no_grad():
        batched = model(mix, idx).estimates
        single = torch.cat([model(mix[i : i + 1], idx[i]).estimates for i in range(3)])
    torch.testing.assert_close(batched, single, rtol=1e-4, atol=1e-5)


def test_gate_decisions_are_used_and_reported(tiny_model: DSN) -> None:
    mix = torch.randn(2, 5000)
    with torch.no_grad():
        out = tiny_model(mix)
        again = tiny_model(mix, out.width_idx)
    assert out.width_idx.shape == (2, tiny_model.cfg.n_blocks, tiny_model.n_chunks(5000))
    assert out.gate_probs.shape == (*out.width_idx.shape, len(tiny_model.cfg.widths))
    torch.testing.assert_close(out.estimates, again.estimates, rtol=1e-5, atol=1e-6)


def test_budget_moves_gates_to_cheaper_widths(tiny_model: DSN) -> None:
    mix = torch.randn(1, 8000)
    with torch.no_grad():
        wide = tiny_model(mix, budget=0.0).width_idx.float().mean()
        slim = tiny_model(mix, budget=100.0).width_idx.float().mean()
    assert slim < wide
    assert slim == 0.0
