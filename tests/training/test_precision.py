"""CPU training precision: bf16 autocast only where the CPU multiplies bf16 in hardware, and an attention path
that autocast can put on the matrix units with the same result."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from slimsep.models import DSN, get_config
from slimsep.models.transformer import matmul_attention
from slimsep.training import load_config
from slimsep.training import run as run_mod


@pytest.mark.parametrize(("fast_bf16", "expected"), [(True, "bf16-mixed"), (False, "32-true")])
def test_auto_precision_follows_the_cpus_bf16_units(monkeypatch: pytest.MonkeyPatch, fast_bf16: bool,
                                                    expected: str) -> None:
    monkeypatch.setattr(run_mod, "cpu_has_fast_bf16", lambda: fast_bf16)
    cfg = load_config(None, ["trainer.accelerator=cpu", "trainer.precision=auto"])
    assert run_mod.resolve_precision(cfg) == expected


def test_explicit_precision_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_mod, "cpu_has_fast_bf16", lambda: True)
    cfg = load_config(None, ["trainer.accelerator=cpu", "trainer.precision=32-true"])
    assert run_mod.resolve_precision(cfg) == "32-true"


def test_matmul_attention_equals_fused_attention_with_a_mask() -> None:
    q, k, v = (torch.randn(2, 3, 7, 16, requires_grad=True) for _ in range(3))
    mask = torch.zeros(2, 3, 1, 7).masked_fill(torch.rand(2, 3, 1, 7) > 0.7, -1e4)
    got = matmul_attention(q, k, v, attn_mask=mask)
    want = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    g_got = torch.autograd.grad(got.sum(), (q, k, v))
    g_want = torch.autograd.grad(want.sum(), (q, k, v))
    for a, b in zip(g_got, g_want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_cpu_autocast_runs_attention_as_matmuls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CPU autocast the fused kernel is never called (it is slow in bf16 there); the output stays close to
    float32 and gradients reach every weight."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("fused attention called under CPU autocast")

    torch.manual_seed(0)
    model = DSN(get_config("tiny", n_heads=2))
    mix = torch.randn(2, 3000)
    want = model(mix, 1.0).estimates
    monkeypatch.setattr(F, "scaled_dot_product_attention", refuse)
    with torch.autocast("cpu", torch.bfloat16):
        got = model(mix, 1.0).estimates.float()
    got.pow(2).mean().backward()
    rel = (got - want).norm() / want.norm()
    assert rel < 0.05, f"bf16 output differs from float32 by {float(rel):.3f} (relative)"
    assert all(p.grad is not None for n, p in model.named_parameters() if not n.startswith("gates."))
