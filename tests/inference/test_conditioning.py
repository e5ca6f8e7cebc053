"""What reaches the network and what comes back: sign, level, DC, integer input, antiphase channels, warm-up."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.inference import Separator

SR = 8000


def tones(seconds: float, *freqs: float) -> np.ndarray:
    """A sum of sines [T] well above the high-pass, RMS about 0.1."""
    t = np.arange(int(seconds * SR)) / SR
    return (0.1 * sum(np.sin(2 * np.pi * f * t + f) for f in freqs) / np.sqrt(len(freqs) / 2)).astype(np.float32)


def corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / np.sum((ref - est).astype(np.float64) ** 2)))


def with_fake_network(sep: Separator, split: callable) -> Separator:
    """``sep`` whose network returns ``split(x)`` [2, T] (the real network still picks the widths)."""
    real = sep._forward
    sep._forward = lambda x, budget: (split(x), real(x, budget)[1])  # type: ignore[method-assign]
    return sep


def test_estimates_keep_the_mixture_sign_and_add_up_to_it(tiny_model_file: Path) -> None:
    """A network that outputs its second talker sign-inverted (SI-SDR allows it): the outputs still correlate
    positively with the mixture and add up to it, across several windows."""
    def split(x: np.ndarray) -> np.ndarray:
        first = (np.arange(x.size) % 4000 < 2000).astype(np.float32)  # talker 1 speaks in alternate quarters
        return np.stack([x * first, -x * (1 - first)]) * 30.0  # and the network's gain is free, too
    sep = with_fake_network(Separator.from_pretrained(tiny_model_file, window=2.0, overlap=0.5), split)
    mix = tones(5.0, 220, 330, 470)
    est, _ = sep.separate(mix, SR)
    assert corr(est[0], mix) > 0.3 and corr(est[1], mix) > 0.3
    assert snr_db(mix, est.sum(0)) > 20.0


def test_one_talker_comes_out_with_one_sign(tiny_model_file: Path) -> None:
    sep = with_fake_network(Separator.from_pretrained(tiny_model_file), lambda x: np.stack([0.7 * x, -0.3 * x]))
    mix = tones(3.0, 180, 610)
    est, _ = sep.separate(mix, SR)
    assert corr(est[0], mix) > 0.99 and corr(est[1], mix) > 0.99


@pytest.mark.parametrize("change", ["quiet", "loud", "dc"])
def test_result_does_not_depend_on_input_level_or_dc(tiny_model_file: Path, change: str) -> None:
    """The network sees the same signal at any level or DC offset; the estimates follow the input's level."""
    sep = Separator.from_pretrained(tiny_model_file, window=2.0, overlap=0.5)
    mix = tones(3.0, 150, 440, 900)
    ref, _ = sep.separate(mix, SR)
    gain = {"quiet": 1e-3, "loud": 10.0, "dc": 1.0}[change]
    est, _ = sep.separate(mix * np.float32(gain) + np.float32(0.5 if change == "dc" else 0.0), SR)
    for k in range(2):
        assert snr_db(ref[k], est[k] / gain) > 40.0


def test_int16_array_gives_the_float_result(tiny_model_file: Path) -> None:
    sep = Separator.from_pretrained(tiny_model_file)
    as_int16 = np.round(tones(2.0, 300, 520) * 3 * 32767).astype(np.int16)
    est_int, _ = sep.separate(as_int16, SR)
    est_float, _ = sep.separate(as_int16.astype(np.float32) / 32768, SR)
    np.testing.assert_allclose(est_int, est_float, atol=1e-6)


def test_antiphase_stereo_is_not_separated_as_silence(tiny_model_file: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    """right = -left averages to zero: the loudest channel is separated instead, and the user is told."""
    mono = tones(3.0, 200, 700)
    stereo = np.stack([mono, -0.99 * mono])
    path = tmp_path / "antiphase.wav"
    sf.write(path, stereo.T, SR, subtype="FLOAT")
    assert main(["separate", str(path), "-o", str(tmp_path / "out"), "--model", str(tiny_model_file)]) == 0
    outs = [sf.read(tmp_path / "out" / f"antiphase_spk{k}.wav")[0] for k in (1, 2)]
    assert 0.5 < sum(np.sum(o ** 2) for o in outs) / np.sum(mono.astype(np.float64) ** 2) < 2.0
    assert "cancel" in capsys.readouterr().err
    _, report = Separator.from_pretrained(tiny_model_file).separate(stereo.T, SR)
    assert report["downmix"] == "channel 1" and "antiphase" in report["notes"][0]


def test_real_time_factor_leaves_the_warm_up_out(tiny_model_file: Path) -> None:
    """The network runs once on its own (1 s at the model rate) before the timed windows of the first call."""
    sep = Separator.from_pretrained(tiny_model_file)
    lengths: list[int] = []
    real = sep._forward
    sep._forward = lambda x, budget: (lengths.append(x.size), real(x, budget))[1]  # type: ignore[method-assign]
    _, report = sep.separate(tones(3.0, 250), SR)
    sep.separate(tones(3.0, 250), SR)
    assert lengths == [SR, 3 * SR, 3 * SR]  # the warm-up once, before the first input
    assert report["warm_up_s"] > 0 and report["real_time_factor"] > 0
