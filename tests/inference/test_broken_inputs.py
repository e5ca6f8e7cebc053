"""Issue 28's separation cases: bad arguments, damaged compressed files, signals, concurrent runs, full disks and
overflowing input end in one line and no partial output, never in a traceback or non-finite audio."""
from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from tests.inference.conftest import write_wav

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["separate", *args])
    return code, capsys.readouterr().err


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _noise(seconds: float, sr: int = 8000) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(int(seconds * sr))).astype(np.float32)


@pytest.mark.parametrize("rate", [0, -8000, float("nan"), float("inf"), "8000", True])
def test_api_sample_rate_zero_nan_or_text(tiny_model_file: Path, rate: object) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    with pytest.raises(SlimsepError, match=r"sample_rate .*: must be a positive finite number"):
        sep.separate(_noise(1.0), rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.str_, object, np.bool_])
def test_api_complex_arrays(tiny_model_file: Path, dtype: type) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    with pytest.raises(SlimsepError, match="expected real samples"):
        sep.separate(_noise(1.0).astype(dtype), 8000)


@pytest.mark.parametrize("device", ["tpu", "mps", "gpu", "cuda:x", ""])
def test_device_tpu(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path, device: str,
                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SlimsepError, match=f"device '{device}': not a device slimsep runs on"):
        Separator.from_pretrained(tiny_model_file, device=device)
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "--device", device, "-o",
                     str(tmp_path / "o"))
    assert code == 2 and err == f"slimsep: error: --device '{device}': not a device slimsep runs on; choose cpu, " \
                                f"cuda or cuda:N (N: the GPU's index)\n"


def _ogg_with_corrupt_middle(path: Path) -> Path:
    sf.write(path, _noise(20.0), 8000, format="OGG", subtype="VORBIS")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 5000] = np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def _mp3_cut_in_half(path: Path) -> Path:
    sf.write(path, _noise(20.0), 8000, format="MP3", subtype="MPEG_LAYER_III")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


@pytest.mark.parametrize("make", [_ogg_with_corrupt_middle, _mp3_cut_in_half], ids=["ogg", "mp3"])
def test_ogg_with_corrupt_bytes_or_mp3_cut_in_half(tiny_model_file: Path, tmp_path: Path, make,  # noqa: ANN001
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    damaged = make(tmp_path / f"damaged.{make.__name__[1:4]}")
    code, err = _run(capsys, str(damaged), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    assert code == 1 and f"{damaged}: truncated" in err, err
    assert _left(tmp_path / "o") == [], "never a shorter output"


def test_disk_full_when_the_json_report_is_written(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_text = Path.write_text

    def full_disk(self: Path, *args: object, **kwargs: object) -> int:
        if ".json" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    report = tmp_path / "o" / "mix_slimsep.json"
    assert code == 1 and err == f"slimsep: error: {report}: cannot write the report (No space left on device); " \
                                f"the estimates were not kept either\n"
    assert _left(tmp_path / "o") == [], "no WAV without its report, no temporary file"


def test_estimate_that_is_not_finite_is_an_error_not_a_file(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    run = sep.net.run
    monkeypatch.setattr(sep.net, "run", lambda x, w, b: (np.full_like(run(x, w, b)[0], np.nan), run(x, w, b)[1]))
    with pytest.raises(SlimsepError, match=f"{mixture_wav}: the model '{tiny_model_file}' produced NaN or Inf"):
        sep.warm_up_s = 0.0
        sep.separate_file(mixture_wav, tmp_path / "o")
    assert _left(tmp_path / "o") == []


@pytest.mark.parametrize("peak", [1e38, 3.3e38])
def test_float_wav_with_peaks_near_3e38(tiny_model_file: Path, tmp_path: Path, peak: float,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Never an overflow warning or a non-finite file. At 1e38 the estimates fit in float32 and are written at the
    input's level; at 3.3e38 an estimate may peak above the mixture (their energies, not peaks, add up to its), so
    either they fit and are written, or the input fails with one line and leaves nothing."""
    noise = _noise(2.0) / np.abs(_noise(2.0)).max()
    loud = write_wav(tmp_path / "loud.wav", np.stack([noise * peak, noise * peak * 0.9], axis=1))  # their sum overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        code, err = _run(capsys, str(loud), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    if code == 1 and peak > 3e38:
        assert err == f"slimsep: error: {loud}: peaks at {peak:.3g}: its talkers' estimates exceed the 32-bit " \
                      f"float range; scale the input down\n"
        assert _left(tmp_path / "o") == []
        return
    assert code == 0, err
    for k in (1, 2):
        audio, _ = sf.read(tmp_path / "o" / f"loud_spk{k}.wav", dtype="float32")
        assert np.all(np.isfinite(audio)) and np.abs(audio).max() > peak / 1e3, "finite, at the input's level"


def test_two_concurrent_separate_runs_same_basename(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Another run publishes the same names while this one separates: this one refuses and keeps nothing."""
    out = tmp_path / "o"
    separate_into = Separator._separate_into

    def other_run_finishes_first(self: Separator, *args: object) -> dict:
        report = separate_into(self, *args)
        for name in ("mix_spk1.wav", "mix_spk2.wav", "mix_slimsep.json"):
            (out / name).write_text("the other run's output")
        return report

    monkeypatch.setattr(Separator, "_separate_into", other_run_finishes_first)
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(out))
    assert code == 1 and f"{out / 'mix_spk1.wav'}: output exists (written by another run meanwhile?)" in err
    assert {p.name: p.read_text() for p in out.iterdir()} == dict.fromkeys(
        ["mix_spk1.wav", "mix_spk2.wav", "mix_slimsep.json"], "the other run's output")


BLOCKING_RUN = """
import sys, time
from pathlib import Path
from slimsep.cli.main import main
from slimsep.inference.separator import Separator

window = Separator._separate_window

def slow(self, audio, sr, budget, downmix, source="<waveform>"):
    if str(source).endswith("long.wav"):  # the second input: say so, then take "forever"
        Path(sys.argv[1]).touch()
        time.sleep(120)
    return window(self, audio, sr, budget, downmix, source)

Separator._separate_window = slow
sys.exit(main(["separate", *sys.argv[2:]]))
"""


def test_sigterm_during_separate_of_a_long_file(tiny_model_file: Path, tmp_path: Path) -> None:
    first = write_wav(tmp_path / "in" / "first.wav", _noise(2.0))
    long = write_wav(tmp_path / "in" / "long.wav", _noise(30.0))
    out, ready = tmp_path / "o", tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", BLOCKING_RUN, str(ready), str(first), str(long), "--model",
                             str(tiny_model_file), "-o", str(out)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ready.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert ready.exists(), "the run never reached the long file"
    assert any(name.startswith(".long") for name in _left(out)), "the long file's temporary outputs exist"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip().splitlines()[-1].startswith("slimsep: stopped by SIGTERM"), err
    assert _left(out) == ["first_slimsep.json", "first_spk1.wav", "first_spk2.wav"], "no temporary file is left"
    assert sf.info(str(out / "first_spk1.wav")).frames == 16000, "finished outputs stay whole"
    assert json.loads((out / "first_slimsep.json").read_text())["input"] == str(first)


def test_sigterm_before_the_first_output_leaves_no_empty_folder(tiny_model_file: Path, tmp_path: Path) -> None:
    long = write_wav(tmp_path / "in" / "long.wav", _noise(30.0))
    out, ready = tmp_path / "new" / "o", tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", BLOCKING_RUN, str(ready), str(long), "--model",
                             str(tiny_model_file), "-o", str(out)], cwd=REPO, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ready.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert ready.exists() and out.is_dir(), "the run never reached the long file"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not out.exists(), "the run's own output folder, empty, is removed"
