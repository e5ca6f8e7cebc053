"""``OnnxDSN``: run a folder written by ``slimsep export onnx`` with onnxruntime and numpy, without PyTorch.

The forward pass mirrors ``DSN.forward`` in eval mode: the gates' logits minus ``budget * cost`` pick each chunk's
width (argmax), chunks are grouped by width (stable order, as ``slimsep.models.grouping``) and every present
width runs as one call of that width's graph; the inter-chunk layers follow ``DualPathBlock._inter_layer``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slimsep.errors import ModelFileError, SlimsepError, first_line
from slimsep.models import geometry
from slimsep.onnx.format import GRAPH_KEY, WIDTH_KEY, declared, graph_widths, manifest_config, read_manifest
from slimsep.threads import check_threads

Widths = None | float | np.ndarray
Groups = list[tuple[int, np.ndarray]]  # (width index, rows in original order)


@dataclass
class OnnxOutput:
    estimates: np.ndarray  # [B, n_src, T] float32
    width_idx: np.ndarray  # [B, R, C] width indices


class OnnxDSN:
    """An exported DSN; ``threads``: onnxruntime's intra-op threads per graph call (at least 1, capped at the cores).

    Every graph has its own session and so its own thread pool (onnxruntime's shared pool is process-wide and
    exclusive), hence one thread by default: no idle pools, and one stream per core scales best on a CPU.
    """

    def __init__(self, folder: str | Path, threads: int = 1) -> None:
        self.folder = Path(folder)
        manifest = read_manifest(self.folder)
        self.cfg = manifest_config(manifest, self.folder)
        self.costs = np.asarray(manifest["costs"], dtype=np.float32)
        self.graphs: dict[str, Any] = manifest["graphs"]
        self.width: float | None = manifest.get("width")  # the default width (static models); None: the gates
        self._sessions = _load_sessions(self.folder, graph_widths(self.graphs, self.cfg), threads)
        self._attn = [geometry.attn_width(self.cfg, w) for w in self.cfg.widths]  # Q/K/V channels per width index

    # ---- geometry, as DSN -----------------------------------------------------------------------
    def n_chunks(self, n_samples: int) -> int:
        return geometry.n_chunks(self.cfg, n_samples)

    def chunk_spans(self, n_samples: int) -> np.ndarray:
        return geometry.chunk_spans(self.cfg, n_samples)

    # ---- forward --------------------------------------------------------------------------------
    def __call__(self, mix: np.ndarray, widths: Widths = None, budget: float = 0.0) -> OnnxOutput:
        """``mix`` [B, T] or [T]; ``widths`` None (gates), a float (static) or width indices [R, C] / [B, R, C]."""
        mix = np.asarray(mix, dtype=np.float32)
        mix = mix[None] if mix.ndim == 1 else mix
        if mix.ndim != 2:
            raise SlimsepError(f"expected a mixture of shape [batch, samples], got {mix.shape}")
        B, T = mix.shape
        C = geometry.n_chunks(self.cfg, T)
        padded = np.pad(mix, ((0, 0), (0, geometry.padded_samples(self.cfg, T) - T)))
        enc, x, energy = self._run(self.graphs["front"], mix=padded)
        forced, used = self._resolve_widths(widths, B, C), []
        for r in range(self.cfg.n_blocks):
            if forced is None:
                logits = self._run(self.graphs["gates"][r], x=x, energy=energy)[0]
                width_idx = (logits - np.float32(budget) * self.costs).argmax(-1)
            else:
                width_idx = forced[:, r]
            x = self._block(r, x, width_idx, static=isinstance(widths, (int, float)))
            used.append(width_idx)
        estimates = self._run(self.graphs["back"], enc=enc, x=x)[0][..., :T]
        return OnnxOutput(estimates, np.stack(used, 1))

    def _block(self, r: int, x: np.ndarray, width_idx: np.ndarray, static: bool) -> np.ndarray:
        """One dual-path block on chunks ``x`` [B, C, K, D] with width indices ``width_idx`` [B, C]."""
        B, C, K, D = x.shape
        flat, groups = x.reshape(B * C, K, D), width_groups(width_idx.reshape(-1), len(self.cfg.widths))
        h = np.empty_like(flat)
        for w, rows in groups:
            h[rows] = self._run(self.graphs["intra"][r][w], rows=flat[rows])[0]
        if static and self.cfg.widths[groups[0][0]] == 0 and self.cfg.slim_inter:
            return h.reshape(B, C, K, D)  # DualPathBlock.forward_static skips the inter layers at width 0
        start = h.reshape(B * C, K, D)
        h = h.reshape(B, C, K, D) + geometry.positional_encoding(C, D)[None, :, None, :]
        if not self.cfg.slim_inter:
            h = self._run(self.graphs["inter"][r], x=h)[0]
            return self._close_inter(r, start, h.reshape(B * C, K, D), width_idx).reshape(B, C, K, D)
        h = h.reshape(B * C, K, D)
        for layer in range(self.cfg.inter_layers):
            h = self._inter_layer(r, layer, h, width_idx, groups)
        return self._close_inter(r, start, h, width_idx).reshape(B, C, K, D)

    def _close_inter(self, r: int, start: np.ndarray, end: np.ndarray, width_idx: np.ndarray) -> np.ndarray:
        """``stack_norm``: rows [B*C, K, D] -> start + LayerNorm(end); chunks skipped (width 0, ``slim_inter``)
        keep ``start``, as ``DualPathBlock._close_inter_grouped``."""
        if "inter_close" not in self.graphs:
            return end
        out = self._run(self.graphs["inter_close"][r], start=start, end=end)[0]
        if self.cfg.slim_inter:
            skipped = np.asarray(self.cfg.widths)[width_idx.reshape(-1)] == 0
            out[skipped] = start[skipped]
        return out

    def _inter_layer(self, r: int, layer: int, h: np.ndarray, width_idx: np.ndarray, groups: Groups) -> np.ndarray:
        """Per-token parts at each group's width; attention across chunks over the widest heads, head-masked."""
        (B, C), K, hd = width_idx.shape, h.shape[1], self.cfg.attn_head_dim
        d_max = self._attn[max(w for w, _ in groups)]
        if d_max == 0:
            return h  # every chunk skipped
        qkv = np.zeros((B * C, K, 3, d_max), dtype=np.float32)
        for w, rows in groups:
            if self.cfg.widths[w]:
                qkv_graph = self.graphs["inter_qkv"][r][layer][w]
                qkv[rows, ..., : self._attn[w]] = self._run(qkv_graph, rows=h[rows])[0]
        q, k, v = qkv.reshape(B, C, K, 3, d_max).transpose(3, 0, 2, 1, 4).reshape(3, B * K, C, d_max)
        mask = geometry.head_mask(self.cfg, width_idx, K, d_max // hd)
        att = self._run(self.graphs["attention"], q=q, k=k, v=v, mask=mask)[0]
        att = att.reshape(B, K, C, d_max).transpose(0, 2, 1, 3).reshape(B * C, K, d_max)
        out = h.copy()
        for w, rows in groups:
            if self.cfg.widths[w]:
                out_graph, d = self.graphs["inter_out"][r][layer][w], self._attn[w]
                out[rows] = self._run(out_graph, rows=h[rows], attended=att[rows, :, :d])[0]
        return out

    def _run(self, name: str, **feeds: np.ndarray) -> list[np.ndarray]:
        feeds = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()}
        return self._sessions[name].run(None, feeds)

    def _resolve_widths(self, widths: Widths, batch: int, n_chunks: int) -> np.ndarray | None:
        """Width indices [B, R, C] for forced widths, None for the gates."""
        R, W = self.cfg.n_blocks, len(self.cfg.widths)
        if widths is None:
            return None
        if isinstance(widths, (int, float)):
            return np.full((batch, R, n_chunks), self.cfg.width_index(float(widths)), dtype=np.int64)
        idx = np.asarray(widths)
        if idx.dtype.kind not in "iu":
            raise SlimsepError("widths must be None, a float, or an integer array of width indices")
        idx = np.broadcast_to(idx, (batch, *idx.shape)) if idx.ndim == 2 else idx
        if idx.shape != (batch, R, n_chunks):
            raise SlimsepError(f"width indices must have shape [{R}, {n_chunks}] or [{batch}, {R}, {n_chunks}] "
                               f"for this input, got {tuple(np.shape(widths))}")
        if idx.min() < 0 or idx.max() >= W:
            raise SlimsepError(f"width indices must lie in [0, {W - 1}]")
        return idx.astype(np.int64)


def width_groups(width_idx: np.ndarray, n_widths: int) -> Groups:
    """Rows of each present width index, in original order (a stable sort split into groups)."""
    order = np.argsort(width_idx, kind="stable")
    parts = np.split(order, np.cumsum(np.bincount(width_idx, minlength=n_widths))[:-1])
    return [(w, rows) for w, rows in enumerate(parts) if rows.size]


def _load_sessions(folder: Path, widths: dict[str, float | None], threads: int) -> dict[str, Any]:
    """A session per graph file (``widths``: file name -> the width the manifest runs it at), each checked against
    what the file declares itself to be. ``threads`` is capped at the cores: every session starts its own pool."""
    threads = check_threads(threads, "threads") or 1
    try:
        import onnxruntime as ort
    except ImportError:
        raise SlimsepError(f"{folder}: onnxruntime is not installed; run `pip install slimsep[onnx]`") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    sessions = {}
    for name, width in widths.items():
        try:
            sessions[name] = ort.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad graphs  # noqa: BLE001
            raise ModelFileError(f"{folder / name}: cannot load ONNX graph ({first_line(exc)})") from None
        _check_declared(folder / name, sessions[name].get_modelmeta().custom_metadata_map, width)
    return sessions


def _check_declared(path: Path, meta: dict[str, str], width: float | None) -> None:
    """A graph that declares another name or width than the manifest gives it was copied or renamed: refused.
    Graphs exported before the declaration existed carry none and are accepted as they are."""
    if GRAPH_KEY not in meta:
        return
    expected = declared(path.name, width)
    if {k: meta.get(k) for k in expected} != expected:
        raise ModelFileError(f"{path}: this graph is {meta.get(GRAPH_KEY)} at width {meta.get(WIDTH_KEY) or '-'}, the "
                           f"manifest runs it as {path.name} at width {expected[WIDTH_KEY] or '-'}; "
                           f"re-export the model")
