"""``Separator``: separate recordings of any rate, channel count and length with a slimsep model.

Policies (also in docs/inference.md):
- Channels: averaged to mono (up to 8 channels); the model separates one mixture channel.
- Rate: resampled to the model's rate with soxr and the estimates back to the input's rate.
- Length: windows of ``window`` seconds sharing ``overlap`` seconds, stitched with a cross-fade and a consistent
  speaker order; memory does not grow with the input length.
- Gain: each window's estimates get the one gain that makes their energies add up to the mixture's, so they come
  out near their talkers' level in the input and keep their relative level. A network trained with a
  scale-invariant loss leaves its output gain free (the shipped model's raw estimates are ~20 dB louder than its
  input, far past full scale). Written as 32-bit float WAV.
- Backend: a PyTorch model file, or (``backend="onnx"``) a folder written by ``slimsep export onnx``, run with
  onnxruntime; PyTorch is imported only for the torch backend (``backends``). The report's bookkeeping (MACs,
  width shares, widths over time) is ``report.WidthLog``.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from slimsep.atomic import atomic_path, write_text_atomic
from slimsep.audio import check_waveform, fit_length, match_mixture_level, resample
from slimsep.errors import SlimsepError
from slimsep.inference.backends import Backend, as_backend, load_backend
from slimsep.inference.files import check_outputs, output_paths, validate_input
from slimsep.inference.report import WidthLog
from slimsep.inference.stitching import Stitcher, plan_windows

if TYPE_CHECKING:
    import torch

    from slimsep.models.dsn import DSN
    from slimsep.onnx.runtime import OnnxDSN

Reader = Callable[[int, int], np.ndarray]  # (start, end) in input samples -> [channels, end - start]


@dataclass
class WindowResult:
    estimates: np.ndarray  # [S, n] at the input rate
    width_idx: np.ndarray  # [R, C] width indices chosen
    n_model: int  # samples at the model's rate


class Separator:
    """The file and window transaction around a backend: read, cut into windows, separate, stitch, write."""

    def __init__(self, model: DSN | OnnxDSN | Backend, device: str = "cpu", window: float = 10.0,
                 overlap: float = 2.0, name: str = "", width: float | None = None) -> None:
        """``width`` None lets the gates choose per chunk; a float runs every chunk at that width (static)."""
        self.net = as_backend(model, device)  # the network: PyTorch or ONNX (backends.Backend)
        if width is not None:
            self.net.cfg.width_index(width)  # a clear error for a width the model does not have
        self.backend, self.model, self.cfg = self.net.name, self.net.model, self.net.cfg  # "torch"|"onnx", DSN|OnnxDSN
        self.width = width
        self.device, self.window, self.overlap, self.name = device, window, overlap, name or self.cfg.name

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path | None = None, device: str = "cpu", backend: str = "torch",
                        threads: int = 1, **kwargs) -> Separator:
        """A model file path or the name of a model shipped with slimsep (default: ``default``); with
        ``backend="onnx"`` the folder written by ``slimsep export onnx``, run without PyTorch (``threads``:
        onnxruntime threads per graph call)."""
        loaded, name = load_backend(path_or_name, backend, device, threads)
        kwargs.setdefault("width", loaded.default_width)
        return cls(loaded, device, name=name, **kwargs)

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate

    # ---- one window ---------------------------------------------------------------------------
    def _separate_window(self, audio: np.ndarray, sr: int, budget: float) -> WindowResult:
        mono = audio.mean(0) if audio.ndim == 2 else audio
        x = resample(mono.astype(np.float32), sr, self.sample_rate)
        est, width_idx = self._forward(x, budget)
        est = resample(match_mixture_level(est, x), self.sample_rate, sr)
        return WindowResult(fit_length(est, mono.shape[-1]), width_idx, x.shape[-1])

    def _forward(self, x: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
        """One mixture [T] -> (estimates [n_src, T], width indices [R, C]): the gates decide, or ``self.width``."""
        return self.net.run(x, self.width, budget)

    # ---- any length ---------------------------------------------------------------------------
    def _run(self, read: Reader, n_samples: int, sr: int, budget: float,
             sink: Callable[[np.ndarray], None]) -> dict:
        windows = plan_windows(n_samples, int(self.window * sr), int(self.overlap * sr))
        stitcher, log = Stitcher(), WidthLog(self.cfg, gated=self.width is None)
        started = time.perf_counter()
        for i, w in enumerate(windows):
            result = self._separate_window(read(w.start, w.end), sr, budget)
            after = windows[i + 1].overlap_before if i + 1 < len(windows) else 0
            sink(stitcher.push(result.estimates, w.overlap_before, after))
            log.add(result.width_idx, result.n_model, w.start, w.end, w.overlap_before, after, sr)
        elapsed = time.perf_counter() - started
        seconds = n_samples / sr
        return {"model": self.name, "backend": self.backend, "sample_rate_in": sr,
                "sample_rate_model": self.cfg.sample_rate, "seconds": round(seconds, 3), "windows": len(windows),
                "gmac_per_s": log.macs / 1e9 / seconds,
                "real_time_factor": elapsed / seconds, "budget": budget,
                "width_share": log.width_share(), "widths_over_time": log.widths_over_time()}

    # ---- public API ---------------------------------------------------------------------------
    def separate(self, waveform: np.ndarray | torch.Tensor, sample_rate: int,
                 budget: float = 0.0) -> tuple[np.ndarray, dict]:
        """``waveform`` [samples] or [channels, samples] -> (estimates [n_src, samples] at ``sample_rate``, report)."""
        audio = np.asarray(waveform.detach().cpu() if hasattr(waveform, "detach") else waveform, np.float32)
        audio = audio[None] if audio.ndim == 1 else audio
        if audio.ndim != 2:
            raise SlimsepError(f"waveform must be [samples] or [channels, samples], got shape {audio.shape}")
        check_waveform(audio, "<waveform>")
        parts: list[np.ndarray] = []
        report = self._run(lambda s, e: audio[:, s:e], audio.shape[1], sample_rate, budget, parts.append)
        return np.concatenate(parts, axis=1), report

    def separate_file(self, path: str | Path, outdir: str | Path, budget: float = 0.0, overwrite: bool = False,
                      protected: set[Path] | None = None) -> dict[str, Path]:
        """Separate one file into ``outdir``; returns the written paths. Nothing partial is left on failure.

        ``protected``: other files that must never be overwritten (e.g. the other inputs of the same call).
        """
        path, outdir = Path(path), Path(outdir)
        info = validate_input(path)
        outs = output_paths(path, outdir, self.cfg.n_src)
        check_outputs(path, outs, overwrite, protected)
        with ExitStack() as renames:  # the estimates' temporary files are renamed together once all are complete
            temps = {k: renames.enter_context(atomic_path(p, ".tmp.wav")) for k, p in outs.items() if k != "report"}
            with sf.SoundFile(str(path)) as src:
                writers = [sf.SoundFile(str(temps[f"spk{i + 1}"]), "w", info.samplerate, 1, "FLOAT", format="WAV")
                           for i in range(self.cfg.n_src)]
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
        report["outputs"] = [str(outs[f"spk{i + 1}"]) for i in range(self.cfg.n_src)]
        write_text_atomic(outs["report"], json.dumps(report, indent=1) + "\n")
        return outs
