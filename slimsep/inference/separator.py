"""``Separator``: separate recordings of any rate, channel count and length with a slimsep model.

Policies (also in docs/inference.md):
- Channels: averaged to mono (up to 8 channels); the model separates one mixture channel. Channels that cancel
  when averaged (antiphase) are not averaged: the loudest one is used and the report says so.
- Level: DC and sub-audio removed and each window brought to one RMS before the network, restored after; each
  estimate's sign made to agree with the mixture (``conditioning``).
- Rate: resampled to the model's rate with soxr and the estimates back to the input's rate.
- Length: windows of at most ``window`` seconds sharing exactly ``overlap`` seconds, stitched with a cross-fade
  and a consistent speaker order and sign; memory does not grow with the input length.
- Gain: each window's estimates get the one gain that makes their energies add up to the mixture's, so they come
  out near their talkers' level in the input and keep their relative level. A network trained with a
  scale-invariant loss leaves its output gain free (the shipped model's raw estimates are ~20 dB louder than its
  input, far past full scale). Written as 32-bit float WAV.
- Backend: a PyTorch model file, or (``backend="onnx"``) a folder written by ``slimsep export onnx``, run with
  onnxruntime; PyTorch is imported only for the torch backend.
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from slimsep.audio import check_waveform, fit_length, match_mixture_level, publish, resample, write_json_atomic
from slimsep.errors import SlimsepError
from slimsep.inference.conditioning import Downmix, as_float_audio, highpass, network_gain, orient
from slimsep.inference.files import MAX_CHANNELS, check_length, check_outputs, output_paths, validate_input
from slimsep.inference.onnx_backend import OnnxDSN
from slimsep.inference.pretrained import resolve
from slimsep.inference.stitching import Stitcher, plan_windows
from slimsep.models.macs import count_macs

if TYPE_CHECKING:
    import torch

    from slimsep.models.config import ModelConfig
    from slimsep.models.dsn import DSN

BACKENDS = ("torch", "onnx")
MIN_WINDOW_CHUNKS = 4

Reader = Callable[[int, int], np.ndarray]  # (start, end) in input samples -> [channels, end - start]


@dataclass
class WindowResult:
    estimates: np.ndarray  # [S, n] at the input rate
    widths: np.ndarray  # [R, C] width indices chosen
    macs: int


class Separator:
    def __init__(self, model: DSN | OnnxDSN, device: str = "cpu", window: float = 10.0,
                 overlap: float | None = None, name: str = "", width: float | None = None) -> None:
        """``width`` None lets the gates choose per chunk; a float runs every chunk at that width (static).

        ``window`` and ``overlap`` are in seconds; ``overlap`` None shares ``min(2, window / 4)`` s between windows.
        Raises SlimsepError for a window shorter than four chunks or an overlap outside ``[0, window)``.
        """
        overlap = min(2.0, window / 4) if overlap is None and _finite(window) else overlap
        if width is not None:
            model.cfg.width_index(width)  # a clear error for a width the model does not have
        self.width = width
        self.backend = "onnx" if isinstance(model, OnnxDSN) else "torch"
        if self.backend == "onnx" and device != "cpu":
            raise SlimsepError(f"--device {device}: the onnx backend runs on the CPU only")
        if self.backend == "torch":
            import torch
            if device.startswith("cuda") and not torch.cuda.is_available():
                raise SlimsepError("--device cuda asked for, but no CUDA device is available")
            model = model.eval().to(device)
        self.model = model
        check_window(window, overlap, model.cfg)
        self.device, self.window, self.overlap, self.name = device, window, overlap, name or model.cfg.name
        self.warm_up_s: float | None = None  # seconds the one-off first call took (None: not warmed up yet)
        self.last_report: dict = {}

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path | None = None, device: str = "cpu", backend: str = "torch",
                        threads: int = 1, **kwargs) -> Separator:
        """A model file path or the name of a model shipped with slimsep (default: ``default``); with
        ``backend="onnx"`` the folder written by ``slimsep export onnx``, run without PyTorch (``threads``:
        onnxruntime threads per graph call)."""
        if backend not in BACKENDS:
            raise SlimsepError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
        if backend == "onnx":
            if path_or_name is None:
                raise SlimsepError("--backend onnx needs --model DIR, a folder written by `slimsep export onnx`")
            model = OnnxDSN(path_or_name, threads)
            kwargs.setdefault("width", model.width)
            return cls(model, device, name=str(path_or_name), **kwargs)
        from slimsep.models.serialization import load_model_and_metadata, trained_width

        path = resolve(path_or_name)
        model, meta = load_model_and_metadata(path)
        kwargs.setdefault("width", trained_width(meta))
        return cls(model, device, name=str(path_or_name or path.stem), **kwargs)

    @property
    def sample_rate(self) -> int:
        return self.model.cfg.sample_rate

    # ---- one window ---------------------------------------------------------------------------
    def _separate_window(self, audio: np.ndarray, sr: int, budget: float, downmix: Downmix) -> WindowResult:
        """[channels, n] at ``sr`` -> estimates [S, n]: high-passed, at ``TARGET_DBFS`` into the network, each
        estimate's sign agreeing with the mixture, then at the mixture's level (``conditioning``)."""
        mono = downmix(audio)
        x = highpass(resample(mono.astype(np.float32), sr, self.sample_rate), self.sample_rate)
        gain = network_gain(x)
        est, widths = self._forward(x * np.float32(gain), budget)
        est = orient(est, x) if gain else np.zeros_like(est)
        est = resample(match_mixture_level(est, x), self.sample_rate, sr)
        n = mono.shape[-1]
        est = fit_length(est, n)
        macs = count_macs(self.model.cfg, widths, x.shape[-1], gated=self.width is None)
        return WindowResult(est, widths, macs)

    def _forward(self, x: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
        """One mixture [T] -> (estimates [n_src, T], width indices [R, C]): the gates decide, or ``self.width``."""
        if self.backend == "onnx":
            out = self.model(x[None], self.width, budget=budget)
            return out.estimates[0], out.widths[0]
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(x).to(self.device)[None], self.width, budget=budget)
        return out.estimates[0].cpu().numpy(), out.widths[0].cpu().numpy()

    def warm_up(self) -> float:
        """Run the network once on 1 s of noise, so one-off costs (allocations, kernel choice, lazy imports) stay
        out of the timed separation; returns and keeps the seconds it took. Called by the first separation."""
        if self.warm_up_s is None:
            started = time.perf_counter()
            noise = np.random.default_rng(0).standard_normal(self.sample_rate).astype(np.float32)
            self._separate_window(noise, self.sample_rate, 0.0, Downmix())
            self.warm_up_s = time.perf_counter() - started
        return self.warm_up_s

    # ---- any length ---------------------------------------------------------------------------
    def _run(self, read: Reader, n_samples: int, sr: int, budget: float,
             sink: Callable[[np.ndarray], None]) -> dict:
        """Separate ``n_samples`` read window by window into ``sink``; returns the report (docs/inference.md)."""
        windows = plan_windows(n_samples, int(self.window * sr), int(self.overlap * sr))
        stitcher, timeline, macs = Stitcher(), [], 0
        counts = np.zeros(len(self.model.cfg.widths), np.int64)  # (block, chunk) decisions per width
        warm_up = self.warm_up()
        started = time.perf_counter()
        downmix = Downmix.plan(read, n_samples)
        for i, w in enumerate(windows):
            result = self._separate_window(read(w.start, w.end), sr, budget, downmix)
            after = windows[i + 1].overlap_before if i + 1 < len(windows) else 0
            sink(stitcher.push(result.estimates, w.overlap_before, after))
            owned = self._owned(result.widths.shape[1], w.start, w.end, w.overlap_before, after, sr)
            timeline += self._timeline(result.widths, owned)
            counts += np.bincount(result.widths[:, owned[1]].ravel(), minlength=counts.size)
            macs += result.macs
        elapsed = time.perf_counter() - started
        seconds = n_samples / sr
        processed = sum(w.end - w.start for w in windows) / sr
        cfg = self.model.cfg
        report = {"model": self.name, "backend": self.backend, "sample_rate_in": sr,
                  "sample_rate_model": cfg.sample_rate, "seconds": round(seconds, 3), "windows": len(windows),
                  "overlap_s": self.overlap if len(windows) > 1 else 0.0,
                  "gmac_per_s": macs / 1e9 / processed, "overlap_overhead": processed / seconds - 1,
                  "gmac_per_s_with_overlap": macs / 1e9 / seconds,
                  "real_time_factor": elapsed / seconds, "warm_up_s": round(warm_up, 3), "budget": budget,
                  "downmix": "mean" if downmix.channel is None else f"channel {downmix.channel + 1}",
                  "notes": [downmix.note] if downmix.note else [],
                  "width_share": {f"{w:g}": float(n / max(1, counts.sum())) for w, n in zip(cfg.widths, counts)},
                  "widths_over_time": [[round(t, 3), w] for t, w in timeline]}
        self.last_report = report
        return report

    def _owned(self, n_chunks: int, start: int, end: int, before: int, after: int,
               sr: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk centres in s, mask of the chunks this window owns): overlaps are counted once, by their centre."""
        n_model = int(round((end - start) * self.sample_rate / sr))
        spans = np.asarray(self.model.chunk_spans(n_model))[:n_chunks]
        centres = start / sr + spans.mean(1) / self.sample_rate
        lo, hi = (start + before / 2) / sr, (end - after / 2) / sr
        return centres, (centres >= lo) & (centres < hi)

    def _timeline(self, widths: np.ndarray, owned: tuple[np.ndarray, np.ndarray]) -> list[tuple[float, float]]:
        """(chunk centre in s, width averaged over blocks) for the owned chunks."""
        centres, mask = owned
        values = np.asarray(self.model.cfg.widths)[widths].mean(0)
        return [(float(c), float(v)) for c, v in zip(centres[mask], values[mask])]

    # ---- public API ---------------------------------------------------------------------------
    def separate(self, waveform: np.ndarray | torch.Tensor, sample_rate: int,
                 budget: float = 0.0) -> tuple[np.ndarray, dict]:
        """``waveform`` [samples] or [samples, channels] (as ``soundfile.read`` returns it; up to 8 channels,
        averaged) -> (estimates [n_src, samples] at ``sample_rate``, report).

        Raises SlimsepError for another shape, more than 8 channels (a [channels, samples] array reads as
        thousands of channels: transpose it), non-finite samples, an input too short, or a bad ``budget``.
        """
        check_budget(budget)
        audio = as_float_audio(waveform.detach().cpu().numpy() if hasattr(waveform, "detach") else waveform)
        audio = audio[:, None] if audio.ndim == 1 else audio
        if audio.ndim != 2 or audio.shape[1] > MAX_CHANNELS:
            raise SlimsepError(f"waveform of shape {audio.shape}: expected [samples] or [samples, channels] with at "
                               f"most {MAX_CHANNELS} channels, as soundfile.read returns it (transpose a "
                               f"[channels, samples] array)")
        audio = np.ascontiguousarray(audio.T)
        check_waveform(audio, "<waveform>")
        check_length("<waveform>", audio.shape[1], sample_rate, self.sample_rate, self.model.cfg.kernel_size)
        parts: list[np.ndarray] = []
        report = self._run(lambda s, e: audio[:, s:e], audio.shape[1], sample_rate, budget, parts.append)
        return np.concatenate(parts, axis=1), report

    def separate_file(self, path: str | Path, outdir: str | Path, budget: float = 0.0, overwrite: bool = False,
                      protected: set[Path] | None = None) -> dict[str, Path]:
        """Separate one file into ``outdir``; returns the written paths. Nothing partial is left on failure.

        ``protected``: other files that must never be overwritten (e.g. the other inputs of the same call).
        """
        check_budget(budget)
        path, outdir = Path(path), Path(outdir)
        info = validate_input(path)
        check_length(path, info.frames, info.samplerate, self.sample_rate, self.model.cfg.kernel_size)
        outs = output_paths(path, outdir, self.model.cfg.n_src)
        check_outputs(path, outs, overwrite, protected)
        temps = {k: _temp_beside(p) for k, p in outs.items() if k != "report"}
        try:
            with sf.SoundFile(str(path)) as src:
                writers = [sf.SoundFile(str(temps[f"spk{i + 1}"]), "w", info.samplerate, 1, "FLOAT", format="WAV")
                           for i in range(self.model.cfg.n_src)]
                try:
                    def read(start: int, end: int) -> np.ndarray:
                        src.seek(start)
                        return src.read(end - start, dtype="float32", always_2d=True).T

                    def sink(block: np.ndarray) -> None:
                        for writer, channel in zip(writers, block):
                            writer.write(channel)
                    report = self._run(read, info.frames, info.samplerate, budget, sink)
                finally:
                    for writer in writers:
                        writer.close()
            report["input"] = str(path)
            report["outputs"] = [str(outs[f"spk{i + 1}"]) for i in range(self.model.cfg.n_src)]
            for key, tmp in temps.items():
                publish(tmp, outs[key])
            write_json_atomic(outs["report"], report)
        finally:
            for tmp in temps.values():
                tmp.unlink(missing_ok=True)
        return outs


def check_budget(budget: float) -> float:
    """The gate budget must be a finite number >= 0 (docs/inference.md says what it does); one-line error."""
    if not _finite(budget) or budget < 0:
        raise SlimsepError(f"--budget {budget}: must be a finite number >= 0 (0: the gates' own choice)")
    return budget


def check_window(window: float, overlap: float, cfg: ModelConfig) -> None:
    """A window must hold at least ``MIN_WINDOW_CHUNKS`` of the model's chunks (shorter ones give the inter-chunk
    layers almost nothing to attend to, and thousands of windows), and the overlap must fit in it."""
    chunk_s = cfg.chunk_size * (cfg.kernel_size // 2) / cfg.sample_rate
    least = MIN_WINDOW_CHUNKS * chunk_s
    if not _finite(window) or window < least:
        raise SlimsepError(f"--window {window}: must be a finite number of seconds >= {least:g} "
                           f"({MIN_WINDOW_CHUNKS} of the model's {chunk_s:g} s chunks)")
    if not _finite(overlap) or not 0 <= overlap < window:
        raise SlimsepError(f"overlap {overlap}: must be >= 0 s and shorter than the {window:g} s window")


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _temp_beside(path: Path) -> Path:
    """An empty temporary file in ``path``'s folder (renamed onto ``path`` when complete)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.wav", dir=path.parent)
    os.close(fd)
    return Path(tmp)
