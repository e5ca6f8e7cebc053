"""The Python API: shipped names, in-memory separation, and long inputs in bounded memory."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.errors import SlimsepError
from slimsep.inference import Separator
from slimsep.inference.pretrained import resolve


def test_separate_array_keeps_rate_and_length(tiny_model_file: Path) -> None:
    sep = Separator.from_pretrained(tiny_model_file, window=2.0, overlap=0.5)
    audio = np.random.default_rng(0).standard_normal(16000 * 5).astype(np.float32) * 0.1
    est, report = sep.separate(audio, 16000)
    assert est.shape == (2, audio.size) and np.isfinite(est).all()
    assert report["windows"] == 3 and report["seconds"] == 5.0


def test_unknown_shipped_name(tmp_path: Path) -> None:
    with pytest.raises(SlimsepError, match="no shipped model named 'nonexistent'"):
        resolve("nonexistent")


PEAK_RSS = """
import resource, sys, numpy as np, soundfile as sf
from slimsep.inference import Separator
sep = Separator.from_pretrained(sys.argv[1], window=10.0, overlap=2.0)
if sys.argv[3] == "file":
    sep.separate_file(sys.argv[2], sys.argv[4])
else:
    audio, sr = sf.read(sys.argv[2], dtype="float32")
    sep.model(__import__("torch").from_numpy(audio)[None])  # the whole-file path, for comparison
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_ten_minute_input_in_bounded_memory(tiny_model_file: Path, tmp_path: Path) -> None:
    long = tmp_path / "long.wav"
    rng = np.random.default_rng(0)
    with sf.SoundFile(long, "w", 8000, 1, "FLOAT") as f:
        for _ in range(60):  # 10 minutes written in 10 s blocks
            f.write((0.1 * rng.standard_normal(80000)).astype(np.float32))

    def peak(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", PEAK_RSS, str(tiny_model_file), str(long), mode,
                               str(tmp_path / "out")], capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.strip().splitlines()[-1])

    streamed = peak("file")
    whole = peak("whole")
    assert sf.info(tmp_path / "out" / "long_spk1.wav").frames == 600 * 8000
    assert streamed < whole / 3, f"windowed peak RSS {streamed} kB vs whole-file {whole} kB"


def test_width_share_counts_every_block_decision() -> None:
    """Two blocks whose gates always pick different widths: each chunk's two decisions both count."""
    import torch

    from slimsep.models import DSN, get_config

    model = DSN(get_config("tiny", n_blocks=2))
    with torch.no_grad():
        for gate, favourite in zip(model.gates, (0, 3)):
            gate.out.weight.zero_()
            gate.out.bias.zero_()
            gate.out.bias[favourite] = 10.0
    audio = np.random.default_rng(1).standard_normal(8000 * 3).astype(np.float32) * 0.1
    _, report = Separator(model, window=2.0, overlap=0.5).separate(audio, 8000)
    assert report["width_share"] == {"0.125": 0.5, "0.25": 0.0, "0.5": 0.0, "1": 0.5}
    assert {w for _, w in report["widths_over_time"]} == {0.5625}  # timeline: mean over blocks


def test_static_baseline_runs_at_its_trained_width(tmp_path: Path) -> None:
    """A static model's other channels are untrained: it must run at its own width, not behind untrained gates."""
    from slimsep.models import DSN, get_config, gmac_per_second, save_model

    cfg = get_config("tiny")
    path = save_model(DSN(cfg), tmp_path / "static.pt",
                      metadata={"stage": "static", "recipe": {"static": {"width": 0.25}}})
    mix = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    sep = Separator.from_pretrained(path)
    assert sep.width == 0.25
    _, report = sep.separate(mix, 8000)
    assert report["width_share"]["0.25"] == 1.0
    assert report["gmac_per_s"] == pytest.approx(gmac_per_second(cfg, 0.25, 8000), rel=0.05)
    stage1 = save_model(DSN(cfg), tmp_path / "stage1.pt", metadata={"stage": "slimmable"})
    assert Separator.from_pretrained(stage1).width == 1.0
    assert Separator.from_pretrained(stage1, width=0.5).width == 0.5
    with pytest.raises(SlimsepError, match="width 0.3"):
        Separator.from_pretrained(stage1, width=0.3)


def test_a_dsn_lets_its_gates_choose(tiny_model_file: Path) -> None:
    assert Separator.from_pretrained(tiny_model_file).width is None


def test_outputs_come_out_at_the_mixture_level() -> None:
    """The estimates' energies add up to the mixture's, whatever gain the network's output has."""
    import torch

    from slimsep.inference.conditioning import highpass

    from slimsep.models import DSN, get_config

    model = DSN(get_config("tiny")).eval()
    loud = DSN(get_config("tiny")).eval()
    loud.load_state_dict(model.state_dict())
    with torch.no_grad():
        loud.decoder.weight.mul_(100.0)  # the same network, 40 dB louder
    audio = np.random.default_rng(2).standard_normal(8000).astype(np.float32) * 0.1
    # float32: bfloat16 (auto on AMX CPUs) rounds the two networks' products differently
    est, _ = Separator(model, window=2.0, overlap=0.5, precision="float32").separate(audio, 8000)
    est_loud, _ = Separator(loud, window=2.0, overlap=0.5, precision="float32").separate(audio, 8000)
    np.testing.assert_allclose(est_loud, est, rtol=1e-4, atol=1e-6)
    energies = (est.astype(np.float64) ** 2).sum(-1)
    heard = highpass(audio, 8000)  # the mixture without DC and sub-audio, as the network gets it
    np.testing.assert_allclose(energies.sum(), np.dot(heard, heard.astype(np.float64)), rtol=1e-3)


def test_api_budget_error_names_the_argument_not_the_cli_flag(tiny_model_file: Path) -> None:
    sep = Separator.from_pretrained(str(tiny_model_file))
    with pytest.raises(SlimsepError, match=r"^budget -1: must be a finite number >= 0") as caught:
        sep.separate(np.zeros(8000, np.float32), 8000, budget=-1.0)
    assert "--budget" not in str(caught.value)
