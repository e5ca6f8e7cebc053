"""The number format a PyTorch model runs in at inference: float32, or bfloat16 where the hardware multiplies it.

Why: on a CPU with bf16 matrix units (Intel AMX, AVX512-BF16) the separator's matrix products and convolutions run
about twice as fast in bfloat16 (``slimsep profile --precision``), at a cost in SI-SDRi of hundredths of a dB
(docs/inference.md, "Precision"). Elsewhere PyTorch emulates bf16 and it is many times slower than float32, so
``auto`` only picks it where ``slimsep.hardware.cpu_has_fast_bf16`` (or a CUDA device's bf16 support) says it pays.
The model's weights stay float32: bfloat16 is applied by ``torch.autocast`` per operation, and the estimates come
back as float32.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

from slimsep.errors import SlimsepError

PRECISIONS = ("auto", "float32", "bfloat16")


def check_precision(precision: object, option: str = "precision") -> str:
    """``precision`` if it is one of ``PRECISIONS``; else SlimsepError (one line, naming ``option``)."""
    if precision not in PRECISIONS:
        raise SlimsepError(f"{option} {precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision


def resolve_precision(precision: str, device: str = "cpu", option: str = "precision") -> str:
    """``auto`` -> ``bfloat16`` where this device multiplies it in hardware, else ``float32``; the other two are
    returned as they are. Raises SlimsepError (one line, naming ``option``) for any other value."""
    if check_precision(precision, option) != "auto":
        return precision
    return "bfloat16" if fast_bf16(device) else "float32"


def fast_bf16(device: str = "cpu") -> bool:
    """True when ``device`` (``cpu``, ``cuda``, ``cuda:N``) runs bf16 matrix products in hardware."""
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    from slimsep.hardware import cpu_has_fast_bf16

    return cpu_has_fast_bf16()


@contextlib.contextmanager
def running_in(precision: str, device: str = "cpu") -> Iterator[None]:
    """Context in which a model's forward pass runs at ``precision`` (``float32`` or ``bfloat16``, as resolved by
    :func:`resolve_precision`): autocast for bfloat16, nothing for float32."""
    if precision == "float32":
        yield
        return
    if precision != "bfloat16":
        raise SlimsepError(f"precision {precision!r}: resolve it first (float32 or bfloat16)")
    import torch

    with torch.autocast(device.split(":")[0], dtype=torch.bfloat16):
        yield
