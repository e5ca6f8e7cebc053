"""The learning-speed tools end to end on a tiny corpus: a pack, a resumable control run, the curve table, and
``benchmarks/learning_curve.py``'s table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.data.conftest import mini_open_corpus  # noqa: F401 (a fixture)
from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def pack(mini_open_corpus: Path, tmp_path: Path) -> Path:  # noqa: F811
    out = tmp_path / "pack"
    _run("scripts/recipe_controls.py", "--make-pack", "--corpus", str(mini_open_corpus), "--pack", str(out),
         "--n-eval", "2", "--eval-seconds", "1.0")
    assert {p.name for p in out.iterdir()} >= {"audio.npz", "eval_train_full.pt", "eval_valid_full.pt"}
    return out


@pytest.mark.slow
def test_a_control_resumes_and_reports_its_curve(pack: Path, tmp_path: Path) -> None:
    common = ["scripts/recipe_controls.py", "small_full", "--pack", str(pack), "--batch", "2", "--segment", "1.0",
              "--eval-every", "1", "--ckpt-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "rc")]
    first = _run(*common, "--steps", "1")
    assert "small_full step 1:" in first
    second = _run(*common, "--steps", "2")
    assert "resumed at step 1" in second and "small_full step 2:" in second and "step 1:" not in second
    table = _run("scripts/recipe_controls.py", "--report", "--ckpt-dir", str(tmp_path / "ckpt"))
    rows = [[cell.strip() for cell in line.split("|")[2:4]] for line in table.splitlines()[2:]]
    assert rows == [["1", "2"], ["2", "4"]]  # step, mixtures (batch 2)


@pytest.mark.slow
def test_learning_curve_prints_a_table_per_interval(pack: Path, tmp_path: Path) -> None:
    out = _run("benchmarks/learning_curve.py", "--config", "tiny", "--pack", str(pack), "--steps", "2",
               "--table-every", "1", "--batch", "2", "--segment", "1.0", "--out", str(tmp_path / "lc" / "curve"))
    rows = [line for line in out.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [r.split("|")[1].strip() for r in rows] == ["0", "1", "2"]
    assert (tmp_path / "lc" / "curve.json").is_file()


def _recipe_controls():  # noqa: ANN202 (the script as a module)
    return load_script("recipe_controls")


def test_a_control_can_draw_talkers_by_duration(pack: Path) -> None:
    """The ``weighting`` data option reaches the mixer: talkers in proportion to their speech in the pack."""
    rc = _recipe_controls()
    load = rc.pack_loader(pack)
    uniform = rc.mixer(pack, "train", 4, 1.0, 0, "all", load, (1.0,))
    by_duration = rc.mixer(pack, "train", 4, 1.0, 0, "all", load, (1.0,), "duration")
    seconds = [sum(n for _, n in by_duration.speakers[name]) for name in sorted(by_duration.speakers)]
    assert uniform.speaker_p is None
    assert by_duration.speaker_p == pytest.approx([s / sum(seconds) for s in seconds])
    assert rc.VARIANTS["small_dur_full"]["data"]["weighting"] == "duration"


def test_a_control_can_name_its_speakers(pack: Path) -> None:
    """A list of names keeps those talkers only (the fixed-pair calibration); an unknown name is a clear error."""
    rc = _recipe_controls()
    load = rc.pack_loader(pack)
    pair = rc.mixer(pack, "train", 4, 1.0, 0, ["a", "c"], load, (1.0,))
    assert sorted(pair.speakers) == ["a", "c"]
    with pytest.raises(SystemExit, match="speakers z not in the train split"):
        rc.mixer(pack, "train", 4, 1.0, 0, ["a", "z"], load, (1.0,))


def test_a_pool_control_cycles_over_its_first_mixtures(pack: Path) -> None:
    rc = _recipe_controls()
    args = type("Args", (), {"pack": pack, "segment": 1.0, "seed": 0, "batch": 2})()
    draw = rc.streaming_draws(args, {"data": {"overlaps": [1.0], "pool": 4}})
    fresh = rc.streaming_draws(args, {"data": {"overlaps": [1.0]}})
    assert torch.equal(draw(2), draw(0)) and torch.equal(draw(3), draw(1)) and not torch.equal(draw(0), draw(1))
    assert torch.equal(draw(0), fresh(0)) and not torch.equal(draw(2), fresh(2))


def test_the_weight_ema_averages_and_gives_the_weights_back() -> None:
    rc = _recipe_controls()
    net = torch.nn.Linear(2, 1)
    torch.nn.init.zeros_(net.weight)
    ema = rc.WeightEMA(net, decay=0.9)
    with torch.no_grad():
        net.weight.fill_(1.0)
    ema.update(net)  # 0.9 * 0 + 0.1 * 1
    assert torch.allclose(ema.avg["weight"], torch.full((1, 2), 0.1))
    with ema.applied(net):
        assert torch.allclose(net.weight, torch.full((1, 2), 0.1))
    assert torch.equal(net.weight, torch.ones(1, 2))
    with pytest.raises(ValueError, match="decay"):
        rc.WeightEMA(net, decay=1.0)


@pytest.mark.slow
def test_a_control_resumed_with_an_ema_scores_it_from_there(pack: Path, tmp_path: Path) -> None:
    """A state saved without an EMA goes on with one: its earlier rows read "-", the new ones carry EMA scores."""
    common = ["scripts/recipe_controls.py", "small_full", "--pack", str(pack), "--batch", "2", "--segment", "1.0",
              "--eval-every", "1", "--ckpt-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "rc")]
    _run(*common, "--steps", "1")
    second = _run(*common, "--steps", "2", "--ema-decay", "0.99")
    assert "small_full step 2:" in second and "valid_voices EMA" in second
    state = torch.load(tmp_path / "ckpt" / "small_full.pt", weights_only=True)
    assert state["curve"]["ema_from"] == 1 and set(state["ema"]) == set(state["net"])
    table = _run("scripts/recipe_controls.py", "--report", "--ckpt-dir", str(tmp_path / "ckpt"))
    rows = [[cell.strip() for cell in line.split("|")[2:9]] for line in table.splitlines()[2:]]
    assert [r[0] for r in rows] == ["1", "2"] and rows[0][5:] == ["-", "-"]
    assert all(v not in ("", "-") for v in rows[1][5:])


def test_a_control_cools_down_over_its_last_steps() -> None:
    rc = _recipe_controls()
    o = {**rc.OPTIM, "schedule": "constant", "warmup_steps": 200}
    assert [rc.lr_factor(s, 5000, o) for s in (99, 200, 4999)] == pytest.approx([0.5, 1.0, 1.0])
    cooled = [rc.lr_factor(s, 5000, o, cooldown=1000) for s in (3999, 4000, 4500, 4999, 5000)]
    assert cooled == pytest.approx([1.0, 1.0, 0.5, 0.001, 0.0])


@pytest.mark.slow
def test_a_control_exports_its_network_as_a_model_file(pack: Path, tmp_path: Path) -> None:
    """``--export`` writes the saved state's EMA as a model file that names the config it is (conv_full is today's
    ``small``), counts the control's steps as a static lineage, and refuses what it cannot write."""
    from slimsep.models.serialization import load_model_and_metadata

    ckpt = str(tmp_path / "ckpt")
    _run("scripts/recipe_controls.py", "conv_full", "--pack", str(pack), "--batch", "2", "--segment", "1.0",
         "--eval-every", "1", "--steps", "1", "--ema-decay", "0.9", "--ckpt-dir", ckpt, "--out", str(tmp_path / "rc"))
    out = tmp_path / "conv.pt"
    line = _run("scripts/recipe_controls.py", "conv_full", "--ckpt-dir", ckpt, "--export", str(out))
    assert "step 1 (EMA weights)" in line
    model, meta = load_model_and_metadata(out)
    assert model.cfg.name == "small" and model.cfg.intra_type == "conv"
    assert meta["stage"] == "static" and meta["lineage"] == [{"stage": "static", "steps": 1}] and meta["averaged"]
    assert meta["run_options"]["segment"] == 1.0 and meta["run_options"]["steps"] == 1 and meta["final_lr"] > 0
    state = torch.load(Path(ckpt) / "conv_full.pt", weights_only=True)
    for key, value in model.state_dict().items():  # the EMA, not the raw weights (float16 in the file)
        torch.testing.assert_close(value, state["ema"][key].half().float())
    for args, why in (([], "output exists"), (["--overwrite", "--raw"], None)):
        done = subprocess.run([sys.executable, "scripts/recipe_controls.py", "conv_full", "--ckpt-dir", ckpt,
                               "--export", str(out), *args], cwd=REPO, capture_output=True, text=True, timeout=600)
        assert (done.returncode != 0) == (why is not None) and (why or "") in done.stderr
    raw, _ = load_model_and_metadata(out)
    torch.testing.assert_close(raw.state_dict()["blocks.0.intra.0.inp.weight"],
                               state["net"]["blocks.0.intra.0.inp.weight"].half().float())
    cases = ((["dprnn_full", "--ckpt-dir", ckpt], "x.pt", "not a DSN"),
             (["small_full", "--ckpt-dir", ckpt], "x.pt", "no saved state"),
             (["conv_full"], "x.pt", "needs --ckpt-dir"),
             (["conv_full", "--ckpt-dir", ckpt, "--overwrite"], "", "is a folder"))
    for args, target, why in cases:
        done = subprocess.run([sys.executable, "scripts/recipe_controls.py", *args, "--export", str(tmp_path / target)],
                              cwd=REPO, capture_output=True, text=True, timeout=600)
        assert done.returncode != 0 and why in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_control_can_perturb_the_speed_of_its_talkers(pack: Path) -> None:
    """The ``speed`` data option reaches the mixer (each talker at its own speed); the sources still sum to the
    mixture, and the same item differs from the unperturbed one."""
    rc = _recipe_controls()
    load = rc.pack_loader(pack)
    plain = rc.mixer(pack, "train", 2, 1.0, 0, "all", load, (1.0,))
    fast = rc.mixer(pack, "train", 2, 1.0, 0, "all", load, (1.0,), speed=(1.2, 1.25))
    assert plain.speed_range is None and fast.speed_range == (1.2, 1.25)
    mix, sources = fast[0]
    torch.testing.assert_close(mix, sources.sum(0), atol=1e-5, rtol=0)
    assert not torch.allclose(sources, plain[0][1], atol=1e-3)
    assert rc.VARIANTS["conv_speed_full"]["data"]["speed"] == [0.8, 1.25]


@pytest.mark.slow
def test_a_static_baseline_control_trains_and_exports_at_its_width(pack: Path, tmp_path: Path) -> None:
    """``conv_full_w0.5`` trains only width 1/2's sliced weights, and its model file says so, so ``slimsep
    evaluate`` and ``separate`` run it at 1/2 (``trained_width``), not at full width."""
    from slimsep.evaluation.points import trained_width
    from slimsep.models.serialization import load_model_and_metadata

    ckpt = tmp_path / "ckpt"
    _run("scripts/recipe_controls.py", "conv_full_w0.5", "--pack", str(pack), "--batch", "2", "--segment", "1.0",
         "--eval-every", "1", "--steps", "1", "--ckpt-dir", str(ckpt), "--out", str(tmp_path / "rc"))
    state = torch.load(ckpt / "conv_full_w0.5.pt", weights_only=True)
    rc = _recipe_controls()
    torch.manual_seed(0)  # the run's --seed default, so this is the network the run started from
    fresh = rc.build_net(rc.VARIANTS["conv_full_w0.5"]).state_dict()
    weight = "blocks.0.intra.0.inp.weight"  # [hidden, d_model]: width 1/2 uses the first half of each
    half = fresh[weight].shape[0] // 2
    assert not torch.equal(state["net"][weight][:half], fresh[weight][:half]), "the slice trained"
    torch.testing.assert_close(state["net"][weight][half:], fresh[weight][half:])  # the rest never ran
    out = tmp_path / "half.pt"
    _run("scripts/recipe_controls.py", "conv_full_w0.5", "--ckpt-dir", str(ckpt), "--export", str(out), "--raw")
    _, meta = load_model_and_metadata(out)
    assert meta["stage"] == "static" and trained_width(meta) == 0.5
