"""A DSN restricted to a subset of its widths: the same separator, gates that choose among fewer options.

Why: a gate's argmax over a subset of its widths is that gate with the other options removed, so a trained DSN (or a
stage-1 network before its gates are trained) can drop widths that its separator runs poorly, without retraining
the separator. Dropping widths also means fewer ONNX graphs to deploy.
"""
from __future__ import annotations

from collections.abc import Sequence

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
