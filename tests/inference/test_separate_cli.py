"""``slimsep separate`` on good and bad inputs: one clear line per problem, others still processed."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from tests.inference.conftest import write_wav


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["separate", *args])
    return code, capsys.readouterr().err


def test_separates_any_rate_and_channels(tiny_model_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(0)
    stereo44 = write_wav(tmp_path / "a.wav", 0.1 * rng.standard_normal((44100, 2)).astype(np.float32), 44100)
    code, err = _run(capsys, str(stereo44), "--model", str(tiny_model_file), "-o", str(tmp_path / "out"))
    assert code == 0, err
    for k in (1, 2):
        audio, sr = sf.read(tmp_path / "out" / f"a_spk{k}.wav")
        assert sr == 44100 and audio.shape == (44100,)
    report = json.loads((tmp_path / "out" / "a_slimsep.json").read_text())
    assert report["sample_rate_in"] == 44100 and report["gmac_per_s"] > 0 and report["widths_over_time"]
    assert abs(sum(report["width_share"].values()) - 1) < 1e-6


BAD = {
    "missing.wav": (None, "file does not exist"),
    "empty.wav": (b"", "file is empty"),
    "garbage.wav": (b"RIFF not really audio" * 10, "unreadable or unsupported audio format"),
    "text.wav": (b"hello world\n" * 100, "unreadable or unsupported audio format"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_unusable_files(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path, name: str,
                        capsys: pytest.CaptureFixture[str]) -> None:
    content, message = BAD[name]
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    code, err = _run(capsys, str(bad), str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    assert code == 1
    assert f"{bad}: {message}" in err and err.count("slimsep: error") == 1  # notes on the good file may follow
    assert (tmp_path / "o" / "mix_spk1.wav").is_file(), "the good file in the same call is still processed"
    assert not any(p.name.startswith(".") for p in (tmp_path / "o").iterdir()), "no temporary files left"


@pytest.mark.parametrize("signal,message", [
    (np.zeros(0, np.float32), "contains no samples"),
    (np.zeros(8000, np.float32), "all zeros"),
    (np.array([0.1, np.nan] * 4000, np.float32), "NaN or Inf"),
    (np.array([0.1, np.inf] * 4000, np.float32), "NaN or Inf"),
])
def test_bad_signals(tiny_model_file: Path, tmp_path: Path, signal: np.ndarray, message: str,
                     capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wav(tmp_path / "s.wav", signal)
    code, err = _run(capsys, str(path), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    assert code == 1 and message in err and str(path) in err
    assert not list((tmp_path / "o").glob("*.wav"))


def test_too_many_channels_and_directories(tiny_model_file: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    wide = write_wav(tmp_path / "wide.wav", np.full((800, 9), 0.1, np.float32))
    code, err = _run(capsys, str(wide), str(tmp_path), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    assert code == 1
    assert "has 9 channels, at most 8 supported" in err and "is a directory" in err


def test_existing_output_needs_overwrite(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o")]
    assert _run(capsys, *args)[0] == 0
    before = (tmp_path / "o" / "mix_spk1.wav").read_bytes()
    code, err = _run(capsys, *args)
    assert code == 1 and "output exists; pass --overwrite" in err
    assert (tmp_path / "o" / "mix_spk1.wav").read_bytes() == before
    assert _run(capsys, *args, "--overwrite")[0] == 0


def test_input_is_never_overwritten(tiny_model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = write_wav(tmp_path / "x_spk1.wav", 0.1 * np.ones(8000, np.float32))  # x.wav's output name
    write_wav(tmp_path / "x.wav", 0.1 * np.random.default_rng(0).standard_normal(8000).astype(np.float32))
    before = victim.read_bytes()
    code, err = _run(capsys, str(tmp_path / "x.wav"), str(victim), "--model", str(tiny_model_file), "-o",
                     str(tmp_path), "--overwrite")
    assert code == 1 and f"{tmp_path / 'x.wav'}: output {victim} would overwrite an input file" in err
    assert victim.read_bytes() == before
    assert (tmp_path / "x_spk1_spk1.wav").is_file(), "the other input is still separated"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any folder")
def test_unwritable_output_folder(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(locked))
    assert code == 1 and "not writable" in err


def test_output_folder_that_is_a_file(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(blocker))
    assert code == 1 and "output folder is a file" in err


def test_missing_model_is_a_clear_error(tmp_path: Path, mixture_wav: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(mixture_wav), "--model", str(tmp_path / "nope.pt"), "-o", str(tmp_path / "o"))
    assert code == 2 and "nope.pt: model file does not exist" in err


def test_output_folder_that_cannot_be_created(tiny_model_file: Path, mixture_wav: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", "/proc/slimsep-out")
    assert code == 1 and "/proc/slimsep-out: cannot create output folder" in err


def test_threads_sets_torch_threads_for_the_torch_backend(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"),
                         "--threads", "1")
        assert code == 0, err
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_threads_below_one_is_one_line(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"),
                     "--threads", "0")
    assert code == 2 and "--threads 0: must be at least 1" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_budget_at_a_fixed_width_is_refused(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """At a fixed width no gate reads the budget: one line naming --budget, nothing written (it was ignored)."""
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "--width", "0.5", "--budget", "2",
                     "-o", str(tmp_path / "o"))
    assert code == 2 and "--budget 2: has no effect" in err and "width 0.5" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "--budget", "2",
                     "-o", str(tmp_path / "gated"))
    assert code == 0, err  # the gates read it
