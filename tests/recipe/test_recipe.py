"""The GPU recipe's CPU-side parts: packing, the plan, on-device mixing, wheel unpacking."""
from __future__ import annotations

import importlib
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from slimsep.data.conditions import write_condition
from slimsep.errors import SlimsepError
from slimsep.recipe.bank import decode_pack, load_train
from slimsep.recipe.pack import pack
from slimsep.recipe.plan import load_plan, run_overrides
from tests.conftest import voice_tone as _voice

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Four training and two validation speakers, two utterances each, and one validation condition."""
    root = tmp_path / "corpus"
    rows = ["path,speaker,gender,language,split,samples,seconds"]
    for k, (name, split) in enumerate([("a", "train"), ("b", "train"), ("c", "train"), ("d", "train"),
                                       ("v1", "valid"), ("v2", "valid")]):
        for i in range(2):
            rel = f"sources/{split}/{name}/{name}_{i}.wav"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            audio = _voice(1.5 + 0.5 * i, 150 + 60 * k, seed=10 * k + i)
            sf.write(root / rel, audio, 8000, subtype="FLOAT")
            rows.append(f"{rel},{name},f,en,{split},{audio.size},{audio.size / 8000:.3f}")
    for k, split in enumerate(["train", "train", "valid"]):
        rel = f"noise/{split}/n{k}.wav"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        audio = (0.05 * np.random.default_rng(k).standard_normal(12000)).astype(np.float32)
        sf.write(root / rel, audio, 8000, subtype="FLOAT")
        rows.append(f"{rel},,,,{split},{audio.size},{audio.size / 8000:.3f}")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    write_condition(root, "valid", 1.0, 0.0, count=3, seed=0)
    write_condition(root, "valid", 1.0, 1.0, count=3, seed=1)
    return root


def test_pack_round_trip(corpus: Path, tmp_path: Path) -> None:
    summary = pack(corpus, tmp_path / "pack", wheels=None)
    assert summary["train_speakers"] == 4 and summary["valid_mixtures"] == 6
    assert summary["noise_hours"]["train"] == pytest.approx(3.0 / 3600, abs=1e-3)
    assert len(list((tmp_path / "pack" / "audio").glob("*.ogg"))) <= 8
    counts = decode_pack(tmp_path / "pack", tmp_path / "work", workers=1)
    train = load_train(tmp_path / "work" / "train.npz")
    assert sorted(train) == ["a", "b", "c", "d"] and counts["valid_mixtures"] == 6
    noise = load_train(tmp_path / "work" / "noise.npz")["noise"]
    assert [n.shape[0] for n in noise] == [12000, 12000]  # the two training clips, not the validation one
    original, _ = sf.read(corpus / "sources/train/b/b_1.wav", dtype="float32")
    decoded = train["b"][1]
    assert decoded.shape == original.shape
    err = 10 * np.log10(np.sum(original ** 2) / np.sum((original - decoded) ** 2))
    assert err > 10  # lossy, but the same signal
    saved = torch.load(tmp_path / "work" / "valid.pt", weights_only=True)
    for (clean, src), (noisy, _), condition in zip(saved["items"], saved["items_noisy"], saved["conditions"]):
        assert torch.allclose(clean, src.sum(0), atol=1e-6)
        # noisy mixtures are re-rendered with their noise, which is as loud as the talkers (-6..3 dB)
        noise_db = 10 * torch.log10((noisy - clean).pow(2).mean() / clean.pow(2).mean())
        assert (noise_db > -10) if condition.endswith("na100") else torch.equal(noisy, clean)


def test_pack_refuses_when_too_big(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(SlimsepError, match="exceeds"):
        pack(corpus, tmp_path / "pack", wheels=None, code_mib=1.0, max_mib=0.5)
    assert not (tmp_path / "pack").exists()


def test_the_suggested_max_train_hours_is_accepted(corpus: Path, tmp_path: Path) -> None:
    """The refusal's --max-train-hours must itself fit. It once scaled the whole pack by the training hours, but
    the noise, the validation speakers and the wheels do not shrink with them: docs/training.md's 4.3 h was
    refused with 2.7 suggested, and 2.7 was refused again (2.5 fitted)."""
    lines = (corpus / "manifest.csv").read_text().splitlines()
    rows = [line for line in lines if ",train," not in line or line.startswith("noise/")]
    rng = np.random.default_rng(3)
    for k in range(4):
        for i in range(12):  # training voices of many short utterances, so a cap can fall between them
            rel = f"sources/train/s{k}/s{k}_{i}.wav"
            (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
            audio = (0.05 * rng.standard_normal(4000)).astype(np.float32)
            sf.write(corpus / rel, audio, 8000, subtype="FLOAT")
            rows.append(f"{rel},s{k},f,en,train,{audio.size},{audio.size / 8000:.3f}")
        rel = f"noise/train/extra{k}.wav"  # training noise: a part of the pack that no --max-train-hours shrinks
        audio = (0.05 * rng.standard_normal(40000)).astype(np.float32)
        sf.write(corpus / rel, audio, 8000, subtype="FLOAT")
        rows.append(f"{rel},,,,train,{audio.size},{audio.size / 8000:.3f}")
    (corpus / "manifest.csv").write_text("\n".join(rows) + "\n")
    whole = pack(corpus, tmp_path / "whole", wheels=None)
    train_mib = sum(p.stat().st_size for p in (tmp_path / "whole" / "audio").glob("train__*.ogg")) / 2**20
    fixed_mib = whole["pack_mib"] - train_mib
    assert fixed_mib > train_mib  # the case the old suggestion got wrong
    limit = fixed_mib + 0.6 * train_mib
    with pytest.raises(SlimsepError, match="exceeds") as refused:
        pack(corpus, tmp_path / "pack", wheels=None, max_mib=limit)
    hours = float(re.search(r"--max-train-hours (\S+)", str(refused.value)).group(1))
    summary = pack(corpus, tmp_path / "pack", wheels=None, max_mib=limit, max_train_hours=hours)
    assert 0 < summary["train_hours"] < whole["train_hours"] and summary["pack_mib"] <= limit


def test_the_suggested_hours_are_floored_not_rounded_up() -> None:
    from slimsep.recipe.pack import fitting_hours
    assert fitting_hours(4.0, 40.0, 0.0, 26.6, margin=0.0) == pytest.approx(2.6)  # 2.66 printed as 2.7 before
    assert fitting_hours(0.004, 0.05, 0.01, 0.05, margin=0.0) == pytest.approx(0.0032)
    assert fitting_hours(4.0, 40.0, 30.0, 29.0) == 0.0  # no training speech fits: no hours to suggest


def test_pack_will_not_replace_another_folder(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(SlimsepError, match="not a pack"):
        pack(corpus, tmp_path / "mine", wheels=None)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_default_plan_loads() -> None:
    plan = load_plan(REPO / "configs" / "gpu" / "plan.yaml", REPO)
    names = [r.name for r in plan.runs]
    assert "static_1" in names and any(r.init_from == "static_1" for r in plan.runs)
    overrides = run_overrides(plan, plan.runs[0], 100.0, 2)
    assert "optim.schedule_by_time=true" in overrides and "trainer.max_time=100.0" in overrides


@pytest.mark.parametrize("runs, problem", [
    ("- {name: a, config: configs/tiny_synthetic.yaml, init_from: b}", "not an earlier run"),
    ("- {name: a, config: configs/tiny_synthetic.yaml}\n- {name: b, config: configs/tiny_synthetic.yaml, "
     "init_from: a}", "must end after"),
    ("- {name: a, config: configs/missing.yaml}", "not found"),
    ("- {name: a, config: configs/tiny_synthetic.yaml, lr: 1}", "unknown key"),
    ("\n".join(f"- {{name: r{i}, config: configs/tiny_synthetic.yaml}}" for i in range(6)), "at most"),
])
def test_bad_plans_are_one_line_errors(tmp_path: Path, runs: str, problem: str) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("runs:\n" + "\n".join("  " + line for line in runs.splitlines()) + "\n")
    with pytest.raises(SlimsepError, match=problem):
        load_plan(path, REPO)


def test_wheels_are_unpacked_only_where_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        recipe = importlib.import_module("gpu_recipe")
    finally:
        sys.path.remove(str(REPO / "scripts"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "slimsep_fakewheel-1.0-py3-none-any.whl", "w") as z:
        z.writestr("slimsep_fakewheel/__init__.py", "VALUE = 42\n")
    with zipfile.ZipFile(wheels / "numpy-9.9-py3-none-any.whl", "w") as z:
        z.writestr("numpy/__init__.py", "raise RuntimeError('must not shadow the installed numpy')\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "")
    done = recipe.install_wheels(wheels, tmp_path / "site")
    assert done == ["slimsep_fakewheel"]
    assert importlib.import_module("slimsep_fakewheel").VALUE == 42
    assert not (tmp_path / "site" / "numpy").exists()
    sys.modules.pop("slimsep_fakewheel", None)


def test_speaker_cap_trims_the_big_voices_only() -> None:
    from slimsep.recipe.pack import cap_training, speaker_cap
    assert speaker_cap([10.0, 100.0, 1000.0], 210.0) == pytest.approx(100.0, abs=1e-3)
    assert speaker_cap([10.0, 20.0], 100.0) == 20.0
    rows = [{"speaker": s, "seconds": "1.0", "path": f"{s}/{i}"} for s, n in (("small", 3), ("big", 50))
            for i in range(n)]
    kept = cap_training(rows, max_hours=13 / 3600)
    assert sum(r["speaker"] == "small" for r in kept) == 3 and sum(r["speaker"] == "big" for r in kept) == 10


def test_child_trains_one_run_of_a_plan_on_the_packed_data(corpus: Path, tmp_path: Path) -> None:
    """The GPU recipe's per-run process, end to end on CPU with a tiny model: it trains on batches mixed from the
    decoded pack and writes the model and its status (the data module once lacked what ``train`` checks)."""
    import json
    import time

    from slimsep.recipe import child

    pack(corpus, tmp_path / "pack", wheels=None)
    work = tmp_path / "work"
    decode_pack(tmp_path / "pack", work, workers=1)
    plan = _child_plan(tmp_path, "")
    assert child.main(str(plan), "static_1", str(work), time.time() + 300) == 0
    status = json.loads((work / "static_1" / "status.json").read_text())
    assert status["stage"] == "static" and status["device"] == "cpu"
    assert (work / "static_1" / "model.pt").is_file()


def _child_plan(tmp_path: Path, overrides: str) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text("batch_size: 2\nsegment: 1.0\nmax_steps: 3\nval_check_interval: 3\ncheckpoint_every_n_steps: 3\n"
                    f"overrides: [model.name=tiny, trainer.accelerator=cpu{overrides}]\n"
                    "runs:\n  - {name: static_1, config: configs/small_open_static.yaml, "
                    "overrides: [optim.warmup_steps=1]}\n")
    return plan


def test_child_trains_on_noisy_mixtures_from_the_pack(corpus: Path, tmp_path: Path) -> None:
    """``data.task=sep_noisy``: batches mixed with the packed noise, validation on the noisy mixtures."""
    import time

    from slimsep.recipe import child

    pack(corpus, tmp_path / "pack", wheels=None)
    work = tmp_path / "work"
    decode_pack(tmp_path / "pack", work, workers=1)
    noise, valid = child.task_data(work, "sep_noisy", "cpu")
    assert noise is not None and len(valid) == 6
    assert not torch.equal(valid[1][0], valid[1][1].sum(0))  # round robin: the second item is the noisy condition
    plan = _child_plan(tmp_path, ", data.task=sep_noisy")
    assert child.main(str(plan), "static_1", str(work), time.time() + 300) == 0
    assert (work / "static_1" / "model.pt").is_file()


def test_child_refuses_noisy_training_from_a_pack_without_noise(corpus: Path, tmp_path: Path) -> None:
    from slimsep.recipe import child

    pack(corpus, tmp_path / "pack", wheels=None)
    work = tmp_path / "work"
    decode_pack(tmp_path / "pack", work, workers=1)
    (work / "noise.npz").unlink()  # as decoded from a pack made before noise was packed
    with pytest.raises(SlimsepError, match="no noise clips; pack again"):
        child.task_data(work, "sep_noisy", "cpu")
    with pytest.raises(SlimsepError, match="sep_clean or sep_noisy"):
        child.task_data(work, "enh_single", "cpu")
