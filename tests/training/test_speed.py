"""Training-speed switches: bf16 autocast with float32 losses, the fused AdamW, the time-based schedule,
torch.compile's fallback, and the automatic precision and worker choices."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from slimsep.training import load_config
from slimsep.training.module import SeparationModule
from slimsep.training.run import data_workers, resolve_precision
from tests.training.conftest import REPO, run_stage


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["static", "slimmable"])
def test_bf16_autocast_with_fused_adamw_trains(tmp_path: Path, stage: str) -> None:
    """The GPU code path (bf16-mixed, fused AdamW with its own gradient clipping) on a CPU: the slimmable stage
    runs the grouped path with head masks under autocast."""
    model = run_stage("tiny_synthetic.yaml", tmp_path / "run", f"stage={stage}", "trainer.precision=bf16-mixed",
                      "optim.fused=true", "trainer.max_steps=3", "trainer.val_check_interval=3",
                      "trainer.limit_val_batches=2")
    payload = torch.load(model, weights_only=True)
    assert payload["metadata"]["steps"] == 3
    assert all(torch.isfinite(v).all() for v in payload["state_dict"].values() if v.is_floating_point())


def _module(*overrides: str) -> SeparationModule:
    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml", list(overrides))
    from slimsep.models import get_config
    return SeparationModule(get_config("tiny").to_dict(), cfg)


def test_schedule_by_time_decays_with_the_wall_clock() -> None:
    module = _module("trainer.max_steps=100000", "trainer.max_time=100", "optim.schedule_by_time=true",
                     "optim.warmup_steps=1", "optim.min_lr_ratio=0.0")
    module._t0 = time.monotonic() - 50  # half the time budget used, a tiny share of max_steps
    assert module._lr_factor(10) == pytest.approx(0.5, abs=0.02)
    module._t0 = time.monotonic() - 200  # past the budget: the floor
    assert module._lr_factor(10) == pytest.approx(0.0, abs=1e-6)
    steps_only = _module("trainer.max_steps=100000", "trainer.max_time=100", "optim.warmup_steps=1")
    steps_only._t0 = time.monotonic() - 50
    assert steps_only._lr_factor(10) == pytest.approx(1.0, abs=1e-3)


def test_compile_failure_falls_back_to_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: torch.nn.Module) -> object:
        def call(*args: object, **kwargs: object) -> None:
            raise RuntimeError("backend exploded")
        return call
    monkeypatch.setattr(torch, "compile", broken)
    module = _module("trainer.compile=true")
    mix = torch.randn(1, 8000)
    out = module.run_model(mix, 1.0)
    assert out.estimates.dtype == torch.float32 and out.estimates.shape[-1] == 8000
    assert module._compiled == []
    assert not any("_compiled" in k for k in module.state_dict())


def test_auto_precision_and_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml", ["trainer.accelerator=cpu"])
    # the answer on a CPU follows its bf16 units (AMX or AVX512-BF16), whatever machine runs the test
    monkeypatch.setattr("slimsep.training.run.cpu_has_fast_bf16", lambda: False)
    assert resolve_precision(cfg) == "32-true"
    monkeypatch.setattr("slimsep.training.run.cpu_has_fast_bf16", lambda: True)
    assert resolve_precision(cfg) == "bf16-mixed"
    assert data_workers(cfg) in (0, 1)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    gpu = load_config(REPO / "configs" / "tiny_synthetic.yaml", ["trainer.accelerator=auto"])
    assert resolve_precision(gpu) == "bf16-mixed" and data_workers(gpu) == 8
    assert resolve_precision(load_config(None, ["trainer.precision=16-mixed"])) == "16-mixed"
    assert data_workers(load_config(None, ["loader.num_workers=3"])) == 3
