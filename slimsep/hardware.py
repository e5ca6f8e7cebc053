"""What this machine's processor can do fast: the one place that decides whether bf16 pays on a CPU.

bf16 matrix products are several times faster than float32 only where the CPU has bf16 matrix instructions
(Intel AMX tiles, or AVX512-BF16). Elsewhere PyTorch emulates them, and a bf16 product is far slower than float32:
on an AVX2-only AMD EPYC here, a 1024 x 1024 bf16 matmul ran at about 1 GFLOP/s against 50 in float32
(``benchmarks/train_throughput.py`` prints the same comparison for whole training steps).
"""
from __future__ import annotations

import torch


def cpu_has_fast_bf16() -> bool:
    """True when the CPU multiplies bf16 matrices in hardware (AMX tiles or AVX512-BF16), as PyTorch detects it."""
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)
