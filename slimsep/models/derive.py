"""New DSNs from a trained one, the separator unchanged: fewer widths to choose from, or gates to train anew.

Why: the separator is the expensive part (GPU hours); gates train on a CPU in minutes. ``restrict_widths``: a
gate's argmax over a subset of its widths is that gate with the other options removed, so a DSN can drop widths
its separator runs poorly (and needs fewer ONNX graphs). ``fresh_gates``: a stage-1 network again, so new gates can
be trained on a shipped or a found model when its stage-1 file is gone.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from slimsep.errors import SlimsepError
from slimsep.models.dsn import DSN


def restrict_widths(model: DSN, widths: Sequence[float]) -> DSN:
    """A new DSN over ``widths`` (a subset of the model's, with 1.0) that shares nothing mutable with ``model``.

    Each gate keeps its logits for the kept widths, so the gate's preferences among them are unchanged.
    """
    keep = sorted({model.cfg.width_index(float(w)) for w in widths})  # SlimsepError for a width it lacks
    kept = tuple(model.cfg.widths[i] for i in keep)
    if kept[-1] != 1.0:
        raise SlimsepError(f"a width subset must keep the full width 1.0, got {list(kept)}")
    subset = DSN(model.cfg.replace(widths=kept))
    state = model.state_dict()
    for name in [n for n in state if n.startswith("gates.") and ".out." in n]:
        state[name] = state[name][keep].clone()
    subset.load_state_dict(state)
    return subset.train(model.training)


def fresh_gates(model: DSN, seed: int = 0) -> DSN:
    """A new DSN with ``model``'s separator and newly initialised gates (towards full width, as for stage 2)."""
    torch.manual_seed(seed)
    fresh = DSN(model.cfg)
    separator = {name: value for name, value in model.state_dict().items() if not name.startswith("gates.")}
    missing, unexpected = fresh.load_state_dict(separator, strict=False)
    assert not unexpected and all(name.startswith("gates.") for name in missing)
    return fresh.train(model.training)
