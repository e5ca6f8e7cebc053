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
  onnxruntime; PyTorch is imported only for the torch backend (``backends``). The report's bookkeeping (MACs,
  width shares, widths over time) is ``report.WidthLog``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from slimsep import __version__
from slimsep.atomic import atomic_paths, json_text
from slimsep.audio import check_waveform, fit_length, match_mixture_level, resample
from slimsep.errors import AudioError, SlimsepError, first_line
from slimsep.inference.backends import Backend, as_backend, load_backend, model_digest
from slimsep.inference.conditioning import Downmix, as_float_audio, highpass, network_gain, orient
from slimsep.inference.files import MAX_CHANNELS, check_length, check_outputs, output_paths, validate_input
from slimsep.inference.report import WidthLog, band_note, peak_note, silence_note
from slimsep.inference.stitching import Stitcher, plan_windows
from slimsep.models import geometry
from slimsep.progress import each

if TYPE_CHECKING:
    import torch

    from slimsep.models.config import ModelConfig
    from slimsep.models.dsn import DSN
    from slimsep.onnx.runtime import OnnxDSN

MIN_WINDOW_CHUNKS = 4

Reader = Callable[[int, int], np.ndarray]  # (start, end) in input samples -> [channels, end - start]


@dataclass
class WindowResult:
    estimates: np.ndarray  # [S, n] at the input rate
    width_idx: np.ndarray  # [R, C] width indices chosen
    n_model: int  # samples at the model's rate
    silent: bool = False  # too quiet to separate: zero estimates


class Separator:
    """The file and window transaction around a backend: read, cut into windows, separate, stitch, write."""

    def __init__(self, model: DSN | OnnxDSN | Backend, device: str = "cpu", window: float = 10.0,
                 overlap: float | None = None, name: str = "", width: float | None = None,
                 precision: str = "auto") -> None:
        """``width`` None lets the gates choose per chunk; a float runs every chunk at that width (static).

        ``window`` and ``overlap`` are in seconds; ``overlap`` None shares ``min(2, window / 4)`` s between windows.
        ``precision`` (``auto``, ``float32``, ``bfloat16``; ``slimsep.inference.precision``) applies to a
        :class:`DSN` given here; a backend keeps its own. Raises SlimsepError for a window shorter than four chunks,
        an overlap outside ``[0, window)`` or an unknown precision.
        """
        overlap = min(2.0, window / 4) if overlap is None and _finite(window) else overlap
        self.net = as_backend(model, device, precision)  # the network: PyTorch or ONNX (backends.Backend)
        if width is not None:
            self.net.cfg.width_index(width)  # a clear error for a width the model does not have
        self.backend, self.model, self.cfg = self.net.name, self.net.model, self.net.cfg  # "torch"|"onnx", DSN|OnnxDSN
        self.width = width
        check_window(window, overlap, self.cfg)
        self.device, self.window, self.overlap, self.name = device, window, overlap, name or self.cfg.name
        self.warm_up_s: float | None = None  # seconds the one-off first call took (None: not warmed up yet)
        self.last_report: dict = {}
        self.progress = False  # a bar per file on a terminal's stderr (the CLI turns it on unless --quiet)
        self.model_sha256: str | None = None  # of the model file or ONNX folder, when loaded from one

    @classmethod
    def from_pretrained(cls, path_or_name: str | Path | None = None, device: str = "cpu", backend: str = "torch",
                        threads: int = 1, precision: str = "auto", **kwargs) -> Separator:
        """A model file path or the name of a model shipped with slimsep (default: ``default``); with
        ``backend="onnx"`` the folder written by ``slimsep export onnx``, run without PyTorch (``threads``:
        onnxruntime threads per graph call). ``precision``: ``auto`` runs the torch backend in bfloat16 where the
        hardware multiplies it (about twice as fast on a CPU with AMX), else float32; the onnx backend runs
        float32 and refuses ``bfloat16``."""
        loaded, name = load_backend(path_or_name, backend, device, threads, precision)
        kwargs.setdefault("width", loaded.default_width)
        separator = cls(loaded, device, name=name, **kwargs)
        separator.model_sha256 = model_digest(loaded.path)
        return separator

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate

    def check_budget(self, budget: float, name: str = "budget") -> float:
        """``check_budget``, and a budget above 0 must have gates to act on: at a fixed width (``--width``, a static
        model, or one whose gates were never trained) it would be silently ignored, so it is a one-line
        SlimsepError naming the option as the caller knows it."""
        check_budget(budget, name)
        if budget > 0 and self.width is not None:
            raise SlimsepError(f"{name} {budget:g}: has no effect here, every chunk runs at width {self.width:g} "
                               f"(--width, or a model without trained gates); drop {name}, or use a gated model")
        return budget

    # ---- one window ---------------------------------------------------------------------------
    def _separate_window(self, audio: np.ndarray, sr: int, budget: float, downmix: Downmix,
                         source: str | Path = "<waveform>") -> WindowResult:
        """[channels, n] at ``sr`` -> estimates [S, n]: high-passed, at ``TARGET_DBFS`` into the network, each
        estimate's sign agreeing with the mixture, then at the mixture's level (``conditioning``).

        A window peaking above full scale is processed at full scale and scaled back at the end, so float input near
        the float32 limit cannot overflow on the way; estimates that are not finite raise AudioError naming
        ``source`` (a damaged model, or estimates beyond the float32 range), so they are never written."""
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        scale = max(1.0, peak)
        mono = downmix(audio / np.float32(scale) if scale > 1 else audio)
        x = highpass(resample(mono.astype(np.float32), sr, self.sample_rate), self.sample_rate)
        gain = network_gain(x)
        est, width_idx = self._forward(x * np.float32(gain), budget)
        if not np.all(np.isfinite(est)):
            raise AudioError(source, f"the model {self.name!r} produced NaN or Inf; nothing written (a damaged model?)")
        est = orient(est, x) if gain else np.zeros_like(est)
        est = resample(match_mixture_level(est, x), self.sample_rate, sr)
        if scale > 1:
            with np.errstate(over="ignore"):
                est = (est.astype(np.float64) * scale).astype(np.float32)
            if not np.all(np.isfinite(est)):
                raise AudioError(source, f"peaks at {peak:.3g}: its talkers' estimates exceed the 32-bit float range; "
                                         f"scale the input down")
        return WindowResult(fit_length(est, mono.shape[-1]), width_idx, x.shape[-1], silent=not gain)

    def _forward(self, x: np.ndarray, budget: float) -> tuple[np.ndarray, np.ndarray]:
        """One mixture [T] -> (estimates [n_src, T], width indices [R, C]): the gates decide, or ``self.width``."""
        return self.net.run(x, self.width, budget)

    def warm_up(self) -> float:
        """Run the network once on 1 s of noise, so one-off costs (allocations, kernel choice, lazy imports) stay
        out of the timed separation; returns and keeps the seconds it took. Called by the first separation."""
        if self.warm_up_s is None:
            started = time.perf_counter()
            noise = np.random.default_rng(0).standard_normal(self.sample_rate).astype(np.float32)
            self._separate_window(noise, self.sample_rate, 0.0, Downmix(), f"{self.name} (warm-up on noise)")
            self.warm_up_s = time.perf_counter() - started
        return self.warm_up_s

    # ---- any length ---------------------------------------------------------------------------
    def _run(self, read: Reader, n_samples: int, sr: int, budget: float,
             sink: Callable[[np.ndarray], None], source: str | Path = "<waveform>") -> dict:
        """Separate ``n_samples`` read window by window into ``sink``; returns the report (docs/inference.md).
        ``source`` names the input in errors and on the progress bar."""
        windows = plan_windows(n_samples, int(self.window * sr), int(self.overlap * sr))
        stitcher, log = Stitcher(), WidthLog(self.cfg, gated=self.width is None)
        warm_up = self.warm_up()
        started = time.perf_counter()
        downmix = Downmix.plan(read, n_samples)
        label = Path(source).name if source != "<waveform>" else "separating"
        peak, silent = 0.0, 0
        for i, w in enumerate(each(windows, label, quiet=not self.progress, unit="window")):
            result = self._separate_window(read(w.start, w.end), sr, budget, downmix, source)
            after = windows[i + 1].overlap_before if i + 1 < len(windows) else 0
            block = stitcher.push(result.estimates, w.overlap_before, after)
            peak, silent = max(peak, float(np.max(np.abs(block), initial=0.0))), silent + result.silent
            sink(block)
            log.add(result.width_idx, result.n_model, w.start, w.end, w.overlap_before, after, sr)
        elapsed = time.perf_counter() - started
        seconds = n_samples / sr
        processed = sum(w.end - w.start for w in windows) / sr
        report = {"slimsep_version": __version__, "model": self.name, "model_sha256": self.model_sha256,
                  "backend": self.backend, "precision": self.net.precision, "sample_rate_in": sr,
                  "sample_rate_model": self.cfg.sample_rate, "seconds": round(seconds, 3), "windows": len(windows),
                  "window_overlap_s": self.overlap if len(windows) > 1 else 0.0,
                  "gmac_per_s": log.macs / 1e9 / processed, "overlap_overhead": processed / seconds - 1,
                  "gmac_per_s_with_overlap": log.macs / 1e9 / seconds,
                  "real_time_factor": elapsed / seconds, "warm_up_s": round(warm_up, 3), "budget": budget,
                  "downmix": "mean" if downmix.channel is None else f"channel {downmix.channel + 1}",
                  "notes": [n for n in (downmix.note, band_note(sr, self.cfg.sample_rate),
                                        silence_note(silent, len(windows)), peak_note(peak)) if n],
                  "width_share": log.width_share(), "widths_over_time": log.widths_over_time(),
                  "widths_over_time_columns": list(WidthLog.TIMELINE_COLUMNS)}
        self.last_report = report
        return report

    # ---- public API ---------------------------------------------------------------------------
    def separate(self, waveform: np.ndarray | torch.Tensor, sample_rate: int,
                 budget: float = 0.0) -> tuple[np.ndarray, dict]:
        """``waveform`` [samples] or [samples, channels] (as ``soundfile.read`` returns it; up to 8 channels,
        averaged) -> (estimates [n_src, samples] at ``sample_rate``, report).

        Raises SlimsepError for another shape, more than 8 channels (a [channels, samples] array reads as
        thousands of channels: transpose it), a dtype that is not real numbers (complex, strings), non-finite
        samples, an input too short, a ``sample_rate`` that is not a positive finite number (Hz), a bad ``budget``,
        or estimates that are not finite.
        """
        self.check_budget(budget)
        check_sample_rate(sample_rate)
        audio = as_float_audio(waveform.detach().cpu().numpy() if hasattr(waveform, "detach") else waveform)
        audio = audio[:, None] if audio.ndim == 1 else audio
        if audio.ndim != 2 or audio.shape[1] > MAX_CHANNELS:
            looks_transposed = audio.ndim == 2 and audio.shape[0] <= MAX_CHANNELS < audio.shape[1]
            hint = "transpose a [channels, samples] array" if looks_transposed else "as soundfile.read returns it"
            raise SlimsepError(f"waveform of shape {audio.shape}: expected [samples] or [samples, channels] with at "
                               f"most {MAX_CHANNELS} channels ({hint})")
        audio = np.ascontiguousarray(audio.T)
        check_waveform(audio, "<waveform>")
        check_length("<waveform>", audio.shape[1], sample_rate, self.sample_rate, self.cfg.kernel_size)
        parts: list[np.ndarray] = []
        report = self._run(lambda s, e: audio[:, s:e], audio.shape[1], sample_rate, budget, parts.append)
        return np.concatenate(parts, axis=1), report

    def separate_file(self, path: str | Path, outdir: str | Path, budget: float = 0.0, overwrite: bool = False,
                      protected: set[Path] | None = None) -> dict[str, Path]:
        """Separate one file into ``outdir``; returns the written paths. Nothing partial is left on failure.

        ``protected``: other files that must never be overwritten (e.g. the other inputs of the same call).
        """
        self.check_budget(budget)
        path, outdir = Path(path), Path(outdir)
        info = validate_input(path)
        check_length(path, info.frames, info.samplerate, self.sample_rate, self.cfg.kernel_size)
        outs = output_paths(path, outdir, self.cfg.n_src)
        check_outputs(path, outs, overwrite, protected)
        # All outputs appear together once complete, or none; without ``overwrite`` each name is claimed atomically,
        # so two runs writing the same names never replace each other's outputs (atomic.atomic_paths).
        with atomic_paths(outs, exclusive=not overwrite) as temps:
            wavs = [temps[f"spk{i + 1}"] for i in range(self.cfg.n_src)]
            report = self._separate_into(path, info, budget, wavs)
            report["input"] = str(path)
            report["outputs"] = [str(outs[f"spk{i + 1}"]) for i in range(self.cfg.n_src)]
            write_report(temps["report"], report, outs["report"])
        return outs

    def _separate_into(self, path: Path, info: sf._SoundFileInfo, budget: float, wavs: list[Path]) -> dict:
        """Stream ``path`` through the network into one float WAV per talker at ``wavs``; returns the report."""
        with ExitStack() as files:
            src = files.enter_context(sf.SoundFile(str(path)))
            writers = [files.enter_context(sf.SoundFile(str(w), "w", info.samplerate, 1, "FLOAT", format="WAV"))
                       for w in wavs]

            def read(start: int, end: int) -> np.ndarray:
                src.seek(start)
                block = src.read(end - start, dtype="float32", always_2d=True).T
                if block.shape[1] < end - start:
                    raise AudioError(path, f"truncated: decoding stopped at sample {start + block.shape[1]} of "
                                           f"{info.frames} (a damaged or cut-off file)")
                return block

            def sink(block: np.ndarray) -> None:
                for writer, channel in zip(writers, block):
                    try:
                        writer.write(channel)
                    except (OSError, RuntimeError) as exc:  # soundfile reports a full disk as a RuntimeError
                        raise SlimsepError(f"{path}: cannot write its estimates ({first_line(exc)})") from None
            return self._run(read, info.frames, info.samplerate, budget, sink, path)


def write_report(tmp: Path, report: dict, path: Path) -> None:
    """The JSON report into ``tmp`` (published as ``path`` with the estimates); a full disk or a permission
    problem is one SlimsepError naming ``path``, and the caller's estimates are then discarded with it."""
    text = json_text(report, path)
    try:
        tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SlimsepError(f"{path}: cannot write the report ({exc.strerror or exc}); the estimates were not kept "
                           f"either") from None


def check_sample_rate(sample_rate: object, name: str = "sample_rate") -> float:
    """A sample rate must be a positive finite number of Hz (not text, not a bool); one-line SlimsepError."""
    if isinstance(sample_rate, (bool, str, bytes)) or not _finite(sample_rate) or float(sample_rate) <= 0:
        raise SlimsepError(f"{name} {sample_rate!r}: must be a positive finite number of samples per second (Hz)")
    return float(sample_rate)


def check_budget(budget: float, name: str = "budget") -> float:
    """The gate budget must be a finite number >= 0 (docs/inference.md says what it does); one-line error naming
    it as the caller knows it (``budget`` for the API, ``--budget`` for the CLI)."""
    if not _finite(budget) or budget < 0:
        raise SlimsepError(f"{name} {budget:g}: must be a finite number >= 0 (0: the gates' own choice)")
    return budget


def check_window(window: float, overlap: float, cfg: ModelConfig) -> None:
    """A window must hold at least ``MIN_WINDOW_CHUNKS`` of the model's chunks (shorter ones give the inter-chunk
    layers almost nothing to attend to, and thousands of windows), and the overlap must fit in it."""
    chunk_s = geometry.chunk_seconds(cfg)
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
