"""CPU benchmark of static widths and a mixed assignment: analytic GMAC/s next to measured time.

This is where the MAC savings are checked against wall-clock time; tests never assert timings.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import torch

from slimsep.inference.precision import running_in
from slimsep.models.dsn import DSN
from slimsep.models.macs import gmac_per_second


@dataclass
class ProfileRow:
    label: str
    width: float | None  # None for the mixed assignment
    gmac_per_s: float
    ms_per_s: float
    speedup_time: float = 1.0
    speedup_macs: float = 1.0


def time_forward(model: DSN, mix: torch.Tensor, widths: float | torch.Tensor, warmup: int, runs: int,
                 precision: str = "float32") -> float:
    """Median wall-clock seconds of one forward pass at ``precision`` (float32 or bfloat16), after ``warmup``
    untimed passes."""
    with torch.inference_mode(), running_in(precision):
        for _ in range(warmup):
            model(mix, widths)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            model(mix, widths)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def mixed_assignment(model: DSN, n_samples: int) -> torch.Tensor:
    """A fixed assignment cycling through every width (each used by about the same share of chunks)."""
    R, C, W = model.cfg.n_blocks, model.n_chunks(n_samples), len(model.cfg.widths)
    return (torch.arange(R * C).reshape(R, C) + torch.arange(R)[:, None]) % W


def profile_model(model: DSN, seconds: float = 4.0, threads: int = 1, warmup: int = 2,
                  runs: int = 7, seed: int = 0, precision: str = "float32") -> list[ProfileRow]:
    """One row per static width (widest first) and one for the mixed assignment, timed at ``precision``
    (``float32`` or ``bfloat16``: resolve ``auto`` first with ``slimsep.inference.precision.resolve_precision``)."""
    torch.set_num_threads(threads)
    model = model.eval()
    n = int(seconds * model.cfg.sample_rate)
    mix = torch.randn(1, n, generator=torch.Generator().manual_seed(seed))
    rows = []
    for w in sorted(model.cfg.widths, reverse=True):
        ms = time_forward(model, mix, w, warmup, runs, precision) * 1000 / seconds
        rows.append(ProfileRow(f"static {w:g}", w, gmac_per_second(model.cfg, w, n), ms))
    mixed = mixed_assignment(model, n)
    ms = time_forward(model, mix, mixed, warmup, runs, precision) * 1000 / seconds
    rows.append(ProfileRow("mixed", None, gmac_per_second(model.cfg, mixed.numpy(), n, gated=False), ms))
    full = rows[0]
    for row in rows:
        row.speedup_time = full.ms_per_s / row.ms_per_s
        row.speedup_macs = full.gmac_per_s / row.gmac_per_s
    return rows


def rows_to_json(rows: list[ProfileRow]) -> dict:
    static = [dict(width=r.width, gmac_per_s=r.gmac_per_s, ms_per_s=r.ms_per_s,
                   speedup_time=r.speedup_time, speedup_macs=r.speedup_macs) for r in rows if r.width is not None]
    mixed = [asdict(r) for r in rows if r.width is None][0]
    mixed.pop("width")
    return {"widths": static, "mixed": mixed}


def rows_to_table(rows: list[ProfileRow]) -> str:
    lines = ["| setting | GMAC/s | ms per s of audio | MAC speed-up | time speed-up | time/MAC |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.label} | {r.gmac_per_s:.3f} | {r.ms_per_s:.1f} | {r.speedup_macs:.2f}x | "
                     f"{r.speedup_time:.2f}x | {r.speedup_time / r.speedup_macs:.2f} |")
    return "\n".join(lines)
