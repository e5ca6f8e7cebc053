"""Input edges of ``slimsep separate`` and ``Separator``: array layout, tiny and truncated files, option values,
name collisions and file modes. Each was a traceback, a wrong result or a silent surprise (issue 19)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from tests.inference.conftest import write_wav


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["separate", *args])
    return code, capsys.readouterr().err


def _noise(n: int, channels: int = 0, seed: int = 0) -> np.ndarray:
    shape = (n, channels) if channels else (n,)
    return (0.1 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def test_api_takes_arrays_as_soundfile_reads_them(tiny_model_file: Path, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "stereo.wav", _noise(16000, 2), 16000)
    audio, sr = sf.read(path, dtype="float32")  # [samples, channels]
    est, report = Separator.from_pretrained(tiny_model_file).separate(audio, sr)
    assert est.shape == (2, 16000) and report["seconds"] == 1.0


@pytest.mark.parametrize("shape,transposed", [((2, 16000), True), ((16000, 9), False), ((4, 4, 4), False)])
def test_api_refuses_what_the_cli_refuses(tiny_model_file: Path, shape: tuple[int, ...], transposed: bool) -> None:
    """Only an array that looks like [channels, samples] is told to transpose (9 channels was told so too)."""
    sep = Separator.from_pretrained(tiny_model_file)
    with pytest.raises(SlimsepError, match=r"\[samples, channels\]") as caught:
        sep.separate(np.full(shape, 0.1, np.float32), 16000)
    assert ("transpose" in str(caught.value)) == transposed


def test_a_file_too_short_to_resample_is_one_line(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    tiny = write_wav(tmp_path / "tiny.wav", np.array([0.1, 0.2], np.float32), 44100)
    code, err = _run(capsys, str(tiny), str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    errors = [line for line in err.splitlines() if line.startswith("slimsep: error")]  # notes on the good file aside
    assert code == 1 and f"{tiny}: too short" in err and len(errors) == 1
    assert (tmp_path / "o" / "mix_spk1.wav").is_file(), "the other file of the call is still processed"


def test_an_array_too_short_is_a_clear_error(tiny_model_file: Path) -> None:
    with pytest.raises(SlimsepError, match="too short"):
        Separator.from_pretrained(tiny_model_file).separate(np.array([0.1, 0.2], np.float32), 44100)


@pytest.mark.parametrize("option,value", [*(("--window", v) for v in ["0", "-5", "nan", "inf", "0.001"]),
                                          *(("--budget", v) for v in ["nan", "inf", "-1"])])
def test_bad_window_or_budget_is_one_line(tiny_model_file: Path, tmp_path: Path, mixture_wav: Path, option: str,
                                          value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"),
                     option, value)
    assert code == 2 and f"{option} {value}" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_short_api_window_gets_a_fitting_overlap(tiny_model_file: Path) -> None:
    """The API shares min(2 s, window / 4) as the command line does, instead of a fixed 2 s a 1 s window refuses."""
    sep = Separator.from_pretrained(tiny_model_file, window=1.0)
    assert sep.overlap == 0.25
    estimates, report = sep.separate(np.random.default_rng(0).standard_normal(24000).astype(np.float32) * 0.1, 8000)
    assert estimates.shape == (2, 24000) and report["window_overlap_s"] == 0.25


@pytest.mark.parametrize("overwrite", [False, True])
def test_same_name_from_two_folders_is_refused_before_any_work(tiny_model_file: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str],
                                                               overwrite: bool) -> None:
    first = write_wav(tmp_path / "a" / "talk.wav", _noise(8000))
    second = write_wav(tmp_path / "b" / "talk.wav", _noise(8000, seed=1))
    other = write_wav(tmp_path / "c" / "other.wav", _noise(8000, seed=2))
    args = [str(first), str(second), str(other), "--model", str(tiny_model_file), "-o", str(tmp_path / "o")]
    code, err = _run(capsys, *args, *(["--overwrite"] if overwrite else []))
    assert code == 1 and err.count("\n") == 1
    assert str(first) in err and str(second) in err and "same output names" in err
    assert not list((tmp_path / "o").glob("talk_*")), "neither colliding input is written"
    assert (tmp_path / "o" / "other_spk1.wav").is_file()


def test_the_same_file_twice_is_separated_once(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(capsys, str(mixture_wav), str(mixture_wav), "--model", str(tiny_model_file), "-o",
                     str(tmp_path / "o"))
    assert code == 0, err


def test_a_truncated_wav_is_reported(tiny_model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_wav(tmp_path / "whole.wav", _noise(24000), subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:24000])  # header says 24000 frames, about half of them are there
    code, err = _run(capsys, str(cut), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    assert code == 1 and f"{cut}: truncated" in err and "24000" in err
    assert not list((tmp_path / "o").glob("*.wav"))


def test_outputs_respect_the_umask(tiny_model_file: Path, mixture_wav: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    old = os.umask(0o022)
    try:
        code, err = _run(capsys, str(mixture_wav), "--model", str(tiny_model_file), "-o", str(tmp_path / "o"))
    finally:
        os.umask(old)
    assert code == 0, err
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "o").iterdir()}
    assert set(modes.values()) == {0o644}, modes
    json.loads((tmp_path / "o" / "mix_slimsep.json").read_text())


def test_budget_only_ever_makes_the_gates_slimmer(tiny_model_file: Path) -> None:
    """What --budget does (docs/inference.md): ``B * relative cost`` off each width's logit, so the spend never rises
    with ``B``, and a budget beyond the logits' spread leaves every chunk at the slimmest width."""
    sep = Separator.from_pretrained(tiny_model_file, width=None)
    audio = _noise(16000)
    spend = [sep.separate(audio, 8000, budget=b)[1] for b in (0.0, 1.0, 3.0, 10.0, 1e4)]
    gmacs = [r["gmac_per_s"] for r in spend]
    assert gmacs == sorted(gmacs, reverse=True), gmacs
    assert spend[-1]["width_share"]["0.125"] == 1.0


def test_api_budget_at_a_fixed_width_is_refused(tiny_model_file: Path) -> None:
    """The API names ``budget``; a budget of 0 at a fixed width is the normal static call and still runs."""
    sep = Separator.from_pretrained(tiny_model_file, width=0.5)
    audio = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    with pytest.raises(SlimsepError, match=r"^budget 1: has no effect here, every chunk runs at width 0.5"):
        sep.separate(audio, 8000, budget=1.0)
    assert sep.separate(audio, 8000)[0].shape == (2, 16000)
