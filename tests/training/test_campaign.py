"""A campaign run (issue 27): constant learning rate after the warm-up, an EMA of the weights, and the two ways a
run goes on: ``--resume`` from its folder (optimizer and average kept), or a new run from its model file alone."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from slimsep.models.serialization import load_model_and_metadata
from slimsep.training import load_config, train
from slimsep.training.module import SeparationModule
from tests.training.conftest import QUIET, REPO

CAMPAIGN = [*QUIET, "trainer.val_check_interval=10", "trainer.checkpoint_every_n_steps=5", "optim.schedule=constant",
            "optim.warmup_steps=4", "optim.ema_decay=0.9", "data.seconds=1.0", "loader.batch_size=2"]


def _train(out: Path, *overrides: str, resume: bool = False) -> Path:
    return train(load_config(REPO / "configs" / "tiny_synthetic.yaml", [*CAMPAIGN, *overrides]), out, resume=resume)


def test_constant_schedule_has_no_end_step() -> None:
    cfg = load_config(None, ["optim.schedule=constant", "optim.warmup_steps=10", "trainer.max_steps=100"])
    module = SeparationModule({**_tiny()}, cfg)
    assert module._lr_factor(4) == pytest.approx(0.5)
    assert [module._lr_factor(s) for s in (10, 99, 10_000)] == [1.0, 1.0, 1.0]


def _tiny() -> dict:
    from slimsep.models import get_config
    return get_config("tiny").to_dict()


def test_ema_weights_are_exported_and_resume_keeps_the_raw_weights(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _train(run, "trainer.max_steps=10")
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    raw, avg = ckpt["current_model_state"], ckpt["state_dict"]
    moved = [k for k in raw if k.startswith("model.blocks") and not torch.equal(raw[k], avg[k])]
    assert moved, "the checkpoint's state_dict must hold the average, not the raw weights"
    exported, meta = load_model_and_metadata(run / "model.pt")
    best = torch.load(run / "checkpoints" / meta["best_checkpoint"], map_location="cpu", weights_only=True)
    for k, v in exported.state_dict().items():
        torch.testing.assert_close(v.float(), best["state_dict"]["model." + k].float(), rtol=1e-3, atol=1e-3)
    _train(run, "trainer.max_steps=20", resume=True)
    resumed = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert resumed["global_step"] == 20
    assert resumed["callbacks"]  # the averaging callback's state travels with the checkpoint
    assert load_model_and_metadata(run / "model.pt")[1]["total_steps"] == 20


def test_a_run_continues_from_its_model_file_alone(tmp_path: Path) -> None:
    """Only the float16 snapshot survived (a new machine): a new run starts from it, re-warms the optimizer over
    its warm-up, and the exported file counts every step of the campaign."""
    first = _train(tmp_path / "day1", "trainer.max_steps=10")
    second = _train(tmp_path / "day2", "trainer.max_steps=10", f"init_from={first}")
    assert load_model_and_metadata(second)[1]["total_steps"] == 20


def test_a_snapshot_of_a_running_campaign_holds_the_average_in_float16(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    """The daily landing: ``slimsep snapshot`` writes the newest checkpoint's EMA weights as a float16 model file
    that counts the campaign's steps, and a run continued from it keeps counting."""
    from slimsep.cli.main import main
    from slimsep.models.serialization import read_model_file

    run = tmp_path / "day1"
    _train(run, "trainer.max_steps=10")
    snap = tmp_path / "snap.pt"
    assert main(["snapshot", str(run), "-o", str(snap)]) == 0
    assert "step 10 of this run, 10 in all" in capsys.readouterr().out
    stored = read_model_file(snap)["state_dict"]
    assert {v.dtype for v in stored.values() if v.is_floating_point()} == {torch.float16}
    model, meta = load_model_and_metadata(snap)
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    for k, v in model.state_dict().items():  # the average, not the raw weights (float16 rounding allowed)
        torch.testing.assert_close(v, ckpt["state_dict"]["model." + k].float().half().float())
    assert meta["averaged"] and meta["stage"] == "slimmable" and meta["total_steps"] == 10  # tiny_synthetic.yaml
    second = _train(tmp_path / "day2", "trainer.max_steps=10", f"init_from={snap}")
    assert main(["snapshot", str(tmp_path / "day2"), "-o", str(tmp_path / "snap2.pt")]) == 0
    assert load_model_and_metadata(tmp_path / "snap2.pt")[1]["total_steps"] == 20
    assert load_model_and_metadata(second)[1]["total_steps"] == 20


def test_snapshot_lands_a_named_checkpoint_instead_of_the_newest(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    """A campaign lands its best validated step, which is not always the newest (day 9's landing of the newest
    was a mistake undone by hand): ``--checkpoint best-N.ckpt`` writes that checkpoint's EMA weights and steps."""
    from slimsep.cli.main import main

    run = tmp_path / "run"
    _train(run, "trainer.max_steps=20")
    older = min((p for p in (run / "checkpoints").glob("*.ckpt") if p.name != "last.ckpt"),
                key=lambda p: torch.load(p, map_location="cpu", weights_only=True)["global_step"])
    ckpt = torch.load(older, map_location="cpu", weights_only=True)
    assert ckpt["global_step"] < 20
    snap = tmp_path / "best.pt"
    assert main(["snapshot", str(run), "-o", str(snap), "--checkpoint", older.name, "--float32"]) == 0
    assert f"step {ckpt['global_step']} of this run" in capsys.readouterr().out
    model, meta = load_model_and_metadata(snap)
    assert meta["snapshot_of"] == older.name and meta["steps"] == ckpt["global_step"]
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, ckpt["state_dict"]["model." + k].float())
    assert main(["snapshot", str(run), "-o", str(tmp_path / "none.pt"), "--checkpoint", "best-999.ckpt"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint 'best-999.ckpt'" in err and "last.ckpt" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "none.pt").exists()


def test_snapshot_refuses_to_replace_a_file_or_read_a_non_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from slimsep.cli.main import main

    existing = tmp_path / "snap.pt"
    existing.write_bytes(b"keep me")
    assert main(["snapshot", str(tmp_path), "-o", str(existing)]) == 2
    assert existing.read_bytes() == b"keep me" and "output exists" in capsys.readouterr().err
    assert main(["snapshot", str(tmp_path), "-o", str(tmp_path / "new.pt")]) == 2
    assert "not a training run (no config.yaml)" in capsys.readouterr().err
    assert not (tmp_path / "new.pt").exists()


def test_a_cool_down_branch_resumes_a_copy_and_ends_at_the_low_rate(tmp_path: Path) -> None:
    """The shipped-snapshot branch (docs/training.md, "Campaign"): a copy of the run folder resumed with a
    cool-down ends at min_lr_ratio x lr, and the original folder is left as it was."""
    import shutil

    main = tmp_path / "campaign"
    _train(main, "trainer.max_steps=10")
    before = (main / "checkpoints" / "last.ckpt").read_bytes()
    branch = tmp_path / "campaign_cool"
    shutil.copytree(main, branch)
    for old in (main / "checkpoints").glob("best-*.ckpt"):  # the main run has gone on and replaced its best files
        old.unlink()
    _train(branch, "trainer.max_steps=20", "optim.decay_start=10", "optim.decay_steps=10",
           "optim.min_lr_ratio=0.1", resume=True)
    ckpt = torch.load(branch / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    peak = load_config(REPO / "configs" / "tiny_synthetic.yaml", CAMPAIGN).optim.lr
    assert ckpt["global_step"] == 20
    assert ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.1 * peak)
    assert (main / "checkpoints" / "last.ckpt").read_bytes() == before
    # the branch exports the end of its cool-down (the average at step 20), not a checkpoint from before it
    model, meta = load_model_and_metadata(branch / "model.pt")
    assert meta["selected_by"] == "last step" and meta["steps"] == 20
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v.float(), ckpt["state_dict"]["model." + k].float(), rtol=1e-3, atol=1e-3)


def test_the_export_ignores_a_best_checkpoint_outside_its_own_run_folder(tmp_path: Path) -> None:
    """A copied run folder's callback state names the original's best file, which may be gone by then."""
    from slimsep.training.run import exported_checkpoint

    cfg = load_config(REPO / "configs" / "tiny_synthetic.yaml", CAMPAIGN)
    run, other = tmp_path / "branch", tmp_path / "campaign"
    for folder in (run, other):
        (folder / "checkpoints").mkdir(parents=True)
        (folder / "checkpoints" / "best-5.ckpt").write_bytes(b"x")
    own = run / "checkpoints" / "best-5.ckpt"
    assert exported_checkpoint(cfg, run, str(own)) == own
    assert exported_checkpoint(cfg, run, str(other / "checkpoints" / "best-5.ckpt")) is None
    assert exported_checkpoint(cfg, run, str(run / "checkpoints" / "best-9.ckpt")) is None  # deleted since
    assert exported_checkpoint(cfg, run, "") is None
    cooled = load_config(REPO / "configs" / "tiny_synthetic.yaml",
                         [*CAMPAIGN, "optim.decay_start=5", "optim.decay_steps=5"])
    assert exported_checkpoint(cooled, run, str(run / "checkpoints" / "best-5.ckpt")) is None


def test_landing_the_snapshot_on_the_init_from_file_does_not_count_steps_twice(tmp_path: Path) -> None:
    """The documented day: start from snapshots/X.pt, land the day's snapshot on snapshots/X.pt. Snapshots taken
    after that (and the run's own model.pt) still count the steps before the run once."""
    from slimsep.training.snapshot import snapshot

    landed = tmp_path / "campaign_small_open.pt"
    snapshot(_train(tmp_path / "day1", "trainer.max_steps=10").parent, landed)
    assert load_model_and_metadata(landed)[1]["total_steps"] == 10
    day2 = tmp_path / "day2"
    _train(day2, "trainer.max_steps=10", f"init_from={landed}")
    snapshot(day2, landed, overwrite=True)  # the landing, onto the file day 2 started from
    assert load_model_and_metadata(landed)[1]["total_steps"] == 20
    snapshot(day2, landed, overwrite=True)  # a second landing the same day
    assert load_model_and_metadata(landed)[1]["total_steps"] == 20


def test_the_lineage_counts_every_stage_once(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Full width for two days (the second from the landed snapshot), then stage 1 from it: the stage-1 snapshot
    holds both stages' steps, each counted once, even after its source file was landed on again."""
    from slimsep.cli.main import main
    from slimsep.training.snapshot import snapshot

    landed = tmp_path / "full.pt"
    snapshot(_train(tmp_path / "day1", "stage=static", "trainer.max_steps=10").parent, landed)
    _train(tmp_path / "day2", "stage=static", "trainer.max_steps=5", f"init_from={landed}")
    snapshot(tmp_path / "day2", landed, overwrite=True)
    assert load_model_and_metadata(landed)[1]["lineage"] == [{"stage": "static", "steps": 15}]
    slim = _train(tmp_path / "slim", "trainer.max_steps=5", f"init_from={landed}")
    snapshot(tmp_path / "day2", landed, overwrite=True)  # another landing while stage 1 runs
    meta = load_model_and_metadata(slim)[1]
    assert meta["lineage"] == [{"stage": "static", "steps": 15}, {"stage": "slimmable", "steps": 5}]
    assert main(["snapshot", str(tmp_path / "slim"), "-o", str(tmp_path / "slim.pt")]) == 0
    assert "step 5 of this run, 5 in all after static 15 steps" in capsys.readouterr().out
    assert meta["total_steps"] == 5  # the steps of its own stage
    resumed = _train(tmp_path / "slim", "trainer.max_steps=8", f"init_from={landed}", resume=True)
    assert load_model_and_metadata(resumed)[1]["lineage"][-1] == {"stage": "slimmable", "steps": 8}


def test_a_folder_from_before_the_lineage_counts_its_own_stage(tmp_path: Path) -> None:
    """A run folder whose prior_steps.json predates the lineage (the 12-05 campaign) still counts its own steps
    once, without reading the init_from file that was landed on since."""
    import json

    from slimsep.training.snapshot import snapshot

    landed = tmp_path / "full.pt"
    snapshot(_train(tmp_path / "day1", "stage=static", "trainer.max_steps=10").parent, landed)
    day2 = tmp_path / "day2"
    _train(day2, "stage=static", "trainer.max_steps=5", f"init_from={landed}")
    (day2 / "prior_steps.json").write_text(json.dumps({"init_from": str(landed), "total_steps": 10}))
    snapshot(day2, landed, overwrite=True)
    snapshot(day2, landed, overwrite=True)
    assert load_model_and_metadata(landed)[1]["lineage"] == [{"stage": "static", "steps": 15}]


def test_a_resume_that_forgets_the_runs_options_says_which_ones(tmp_path: Path) -> None:
    """--resume reads the config it is given, not the folder's: a forgotten --set is named, a repeated one is not."""
    from slimsep.training.run import resume_notes

    given = [*CAMPAIGN, "data.seconds=2.0", "optim.lr=3e-3"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(
        load_config(REPO / "configs" / "tiny_synthetic.yaml", given).to_dict()))
    assert resume_notes(load_config(REPO / "configs" / "tiny_synthetic.yaml", given), tmp_path) == []
    forgot = resume_notes(load_config(REPO / "configs" / "tiny_synthetic.yaml", CAMPAIGN), tmp_path)
    assert len(forgot) == 1 and "data.seconds (2.0 -> 1.0)" in forgot[0] and "optim.lr (0.003 -> 0.001)" in forgot[0]
    assert "repeat the run's --set options" in forgot[0]


def test_cpu_hours_are_logged_and_carried_across_a_resume(tmp_path: Path) -> None:
    """``val/cpu_hours`` grows with each validation and goes on from the checkpoint after ``--resume`` instead of
    starting at 0 again; the checkpoint, the snapshot and ``model.pt`` carry it (issue 27's curve against CPU
    hours)."""
    import csv

    from slimsep.training.snapshot import snapshot

    run = tmp_path / "run"
    _train(run, "trainer.max_steps=10")
    first = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["cpu_seconds"]
    _train(run, "trainer.max_steps=20", resume=True)
    second = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["cpu_seconds"]
    assert 0 < first < second
    hours = [float(row["val/cpu_hours"]) for path in sorted(run.glob("logs/version_*/metrics.csv"))
             for row in csv.DictReader(path.open()) if row.get("val/cpu_hours")]
    assert len(hours) == 2 and 0 < hours[0] < hours[1] and hours[1] >= first / 3600
    assert load_model_and_metadata(run / "model.pt")[1]["cpu_hours"] >= round(first / 3600, 3)
    meta = load_model_and_metadata(snapshot(run, tmp_path / "snap.pt"))[1]
    assert meta["cpu_hours"] == round(second / 3600, 3)


def test_resume_continues_the_folders_network_whatever_init_from_now_names(tmp_path: Path) -> None:
    """The campaign points a config's ``init_from`` at each day's snapshot; resuming a run that started from another
    architecture used to build that snapshot's network and fail inside torch on mismatched shapes."""
    from slimsep.models import DSN, get_config
    from slimsep.models.serialization import save_model
    other = save_model(DSN(get_config("tiny", ffn_dim=96)), tmp_path / "other.pt")
    run = tmp_path / "run"
    _train(run, "trainer.max_steps=10")
    _train(run, "trainer.max_steps=20", f"init_from={other}", resume=True)
    assert yaml.safe_load((run / "config.yaml").read_text())["init_from"] is None  # where the run came from
    resumed, _ = load_model_and_metadata(run / "model.pt")
    assert resumed.cfg.ffn_dim == get_config("tiny").ffn_dim
    assert torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["global_step"] == 20
