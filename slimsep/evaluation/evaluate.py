"""Evaluate one operating point (a model, gated at a budget or at a static width) on condition datasets."""
from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.data import Dataset

from slimsep.errors import SlimsepError
from slimsep.evaluation.metrics import degenerate_reason, separation_metrics
from slimsep.evaluation.points import OperatingPoint
from slimsep.inference.precision import running_in
from slimsep.models import DSN, count_macs
from slimsep.progress import bar as progress_bar


def evaluate_point(model: DSN, point: OperatingPoint, datasets: dict[str, Dataset], sdr: bool = True,
                   limit: int | None = None, progress: bool = True, precision: str = "float32") -> list[dict]:
    """One row per utterance: metrics, GMAC/s from the widths actually used, share of chunks per width, time, and
    the ``precision`` the forward pass ran in (``float32`` or ``bfloat16``, ``slimsep.inference.precision``).

    A degenerate item (``degenerate_reason``: a silent reference, the same signal twice) or one that cannot be read
    (a reference shorter than its mixture, a cut-off file: SlimsepError) is not run; its row says why in
    ``excluded`` and has no metrics, and ``summarise`` leaves it out of the means. One bad file never loses the
    whole evaluation.
    """
    if limit is not None and limit < 1:  # min(len, -1) would evaluate nothing and report an empty table
        raise SlimsepError(f"limit {limit}: must be at least 1 (None: every utterance)")
    rows = []
    total = sum(min(len(d), limit or len(d)) for d in datasets.values())
    bar = progress_bar(total=total, desc=point.label, quiet=not progress)
    for condition, dataset in datasets.items():
        for i in range(min(len(dataset), limit or len(dataset))):
            try:
                mix, ref = dataset[i]
                reason = degenerate_reason(ref, mix)
            except SlimsepError as exc:
                reason = str(exc)
            if reason:
                rows.append({"point": point.label, "kind": point.kind, "condition": condition,
                             "id": _item_id(dataset, i), "excluded": reason})
                bar.update()
                continue
            start = time.perf_counter()
            with torch.inference_mode(), running_in(precision):
                out = model(mix, point.widths_arg(), budget=point.budget)
            elapsed = time.perf_counter() - start
            reason = nonfinite_reason(out.estimates[0], mix)
            if reason:
                rows.append({"point": point.label, "kind": point.kind, "condition": condition,
                             "id": _item_id(dataset, i), "excluded": reason})
                bar.update()
                continue
            width_idx = out.width_idx[0].numpy()
            n = mix.shape[-1]
            seconds = n / model.cfg.sample_rate
            row = {"point": point.label, "kind": point.kind, "condition": condition,
                   "id": _item_id(dataset, i), **_condition_labels(dataset, i),
                   **separation_metrics(out.estimates[0].float(), ref, mix, sdr=sdr), "precision": precision,
                   "gmac_per_s": count_macs(model.cfg, width_idx, n, gated=point.kind == "dsn") / 1e9 / seconds,
                   "ms_per_s": 1000 * elapsed / seconds, "seconds": seconds, "excluded": ""}
            row.update({f"share_{w:g}": float(np.mean(width_idx == k)) for k, w in enumerate(model.cfg.widths)})
            rows.append(row)
            bar.update()
    bar.close()
    return rows


def nonfinite_reason(estimates: torch.Tensor, mix: torch.Tensor) -> str | None:
    """Why the network's ``estimates`` cannot be scored (NaN or Inf), or None. A mixture far beyond the level the
    network was trained at (x 1e30: its normalisation overflows) gives them; one such item must not end the run."""
    if bool(torch.isfinite(estimates).all()):
        return None
    return (f"the model's estimates are NaN or Inf (the mixture peaks at {float(mix.abs().max()):.3g}, "
            f"far from the level it was trained at?)")


def _item_id(dataset: Dataset, i: int) -> str:
    return dataset.item_info(i)["id"] if hasattr(dataset, "item_info") else str(i)


def _condition_labels(dataset: Dataset, i: int) -> dict:
    info = dataset.item_info(i) if hasattr(dataset, "item_info") else {}
    return {"overlap": info.get("overlap", ""), "noise_activity": info.get("noise_activity", "")}
