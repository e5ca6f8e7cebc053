"""``gpu_recipe run``: decode the pack, train the plan's runs side by side on one GPU within a wall-clock budget,
evaluate every model, and write at most 8 files into the output folder.

Time line (all from the script's start ``t0``): decoding, then a training window that ends ``eval_reserve_s`` +
``MARGIN_S`` before the budget. Run processes stop themselves at their deadline (Lightning ``max_time``); one
still alive ``GRACE_S`` later is terminated, and its best or last checkpoint becomes its model file.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from slimsep.errors import first_line
from slimsep.recipe import report
from slimsep.recipe.bank import decode_pack
from slimsep.recipe.plan import Plan, RunSpec, load_plan

MARGIN_S = 15.0
GRACE_S = 25.0
POLL_S = 2.0
MIN_RUN_S = 35.0  # start-up and export take about 20 s of a run's time


@dataclass
class Job:
    spec: RunSpec
    deadline: float
    proc: subprocess.Popen | None = None
    started: float = 0.0
    ended: float = 0.0
    status: str = "waiting"  # waiting, running, ok, failed, killed, skipped
    info: dict = field(default_factory=dict)


def run(pack: Path, plan_path: Path, out: Path, work: Path, budget_s: float, t0: float, device: str) -> int:
    repo = Path(__file__).resolve().parents[2]
    out.mkdir(parents=True, exist_ok=True)
    log = report.Log(out / "log.txt", t0)
    plan = load_plan(plan_path, repo)
    end = t0 + budget_s
    metrics: dict = {"budget_s": budget_s, "device": device, "torch": torch.__version__, "plan": str(plan_path),
                     "settings": plan.settings, "runs": {}}
    if device == "cuda":
        metrics["gpu"] = torch.cuda.get_device_name(0)
    log(f"plan {plan_path}: {', '.join(r.name for r in plan.runs)}; budget {budget_s:.0f} s on {device}")
    for spec in plan.runs:  # a machine kept warm since an earlier call still holds that call's run folders
        shutil.rmtree(work / spec.name, ignore_errors=True)
    try:
        metrics["pack"] = decode_pack(pack, work, workers=min(16, os.cpu_count() or 1))
    except Exception as exc:
        log(f"decoding the pack failed: {type(exc).__name__}: {first_line(exc)}")
        report.write_json(out / "metrics.json", metrics)
        raise
    log(f"decoded: {metrics['pack']}")
    window0, window1 = time.time(), end - float(plan.settings["eval_reserve_s"]) - MARGIN_S
    if window1 - window0 < 30:
        log(f"only {window1 - window0:.0f} s left for training: raise --budget-s")
    jobs = {r.name: Job(r, window0 + r.until * (window1 - window0)) for r in plan.runs}
    threads = max(1, (os.cpu_count() or 2) // len(jobs))
    try:
        _train_all(jobs, plan_path, work, threads, log, metrics, out)
    finally:  # even after an error in this process, stop the runs and return what exists
        for job in jobs.values():
            if job.status == "running" and job.proc is not None and job.proc.poll() is None:
                _stop(job, log)
                _keep_model(job, work, out, log)
        _finish(jobs, work, out, end - MARGIN_S, device, log, metrics)
    log(f"done in {time.time() - t0:.0f} s")
    return 0 if all(j.status == "ok" for j in jobs.values()) else 1


def _train_all(jobs: dict[str, Job], plan_path: Path, work: Path, threads: int, log: report.Log, metrics: dict,
               out: Path) -> None:
    env = {**os.environ, "SLIMSEP_RECIPE_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    while any(j.status in ("waiting", "running") for j in jobs.values()):
        now = time.time()
        for job in jobs.values():
            if job.status == "waiting":
                _maybe_start(job, jobs, plan_path, work, env, log)
            elif job.status == "running":
                _poll(job, work, out, log)
                if job.status == "running" and now > job.deadline + GRACE_S:
                    _stop(job, log)
                    _keep_model(job, work, out, log)
        _record(jobs, work, metrics, out)
        time.sleep(POLL_S)


def _maybe_start(job: Job, jobs: dict[str, Job], plan_path: Path, work: Path, env: dict, log: report.Log) -> None:
    parent = jobs.get(job.spec.init_from) if job.spec.init_from else None
    if parent is not None:
        if parent.status in ("waiting", "running"):
            return
        if not (work / parent.spec.name / "model.pt").is_file():
            job.status = "skipped"
            log(f"{job.spec.name}: skipped, {parent.spec.name} left no model ({parent.status})")
            return
    if job.deadline - time.time() < MIN_RUN_S:
        job.status = "skipped"
        log(f"{job.spec.name}: skipped, under {MIN_RUN_S:.0f} s left before its deadline")
        return
    run_dir = work / job.spec.name
    run_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "slimsep.recipe.child", str(plan_path), job.spec.name, str(work), f"{job.deadline}"]
    job.proc = subprocess.Popen(cmd, stdout=open(run_dir / "stdout.txt", "w"), stderr=subprocess.STDOUT, env=env,
                                cwd=Path(__file__).resolve().parents[2])
    job.started, job.status = time.time(), "running"
    log(f"{job.spec.name}: started (pid {job.proc.pid}), {job.deadline - job.started:.0f} s")


def _poll(job: Job, work: Path, out: Path, log: report.Log) -> None:
    rc = job.proc.poll()
    if rc is None:
        return
    job.ended = time.time()
    job.status = "ok" if rc == 0 else "failed"
    job.info["rc"] = rc
    run_dir = work / job.spec.name
    if rc != 0:
        tail = (run_dir / "stdout.txt").read_text(errors="replace").strip().splitlines()[-12:]
        log(f"{job.spec.name}: FAILED (exit {rc}); last lines:\n    " + "\n    ".join(tail))
    _keep_model(job, work, out, log)


def _stop(job: Job, log: report.Log) -> None:
    log(f"{job.spec.name}: past its deadline, terminating")
    job.proc.terminate()
    try:
        job.proc.wait(10)
    except subprocess.TimeoutExpired:
        job.proc.kill()
        job.proc.wait()
    job.ended, job.status = time.time(), "killed"


def _keep_model(job: Job, work: Path, out: Path, log: report.Log) -> None:
    """Copy the run's model into the output folder at once, so it comes back even if the call is cut short."""
    try:
        path = report.model_file(work / job.spec.name)
    except Exception as exc:  # noqa: BLE001 (a broken checkpoint must not stop the other runs)
        log(f"{job.spec.name}: no model file ({first_line(exc)})")
        return
    if path is None:
        log(f"{job.spec.name}: no model file (stopped before its first checkpoint)")
        return
    report.copy_model(path, out / f"{job.spec.name}.pt")
    job.info["model"] = f"{job.spec.name}.pt"


def _record(jobs: dict[str, Job], work: Path, metrics: dict, out: Path) -> None:
    for name, job in jobs.items():
        entry = metrics["runs"].setdefault(name, {})
        entry.update(job.info, status=job.status, init_from=job.spec.init_from)
        if job.started:
            steps = report.steps_done(work / name)
            seconds = (job.ended or time.time()) - job.started
            entry.update(steps=steps, seconds=round(seconds, 1))
    report.write_json(out / "metrics.json", metrics)


def _finish(jobs: dict[str, Job], work: Path, out: Path, deadline: float, device: str, log: report.Log,
            metrics: dict) -> None:
    _record(jobs, work, metrics, out)
    report.curves({n: work / n for n, j in jobs.items() if j.started}, out / "curves.csv")
    limit = metrics["settings"].get("eval_limit")
    valid = torch.load(work / "valid.pt", weights_only=True)
    sets = {"valid_si_sdri": valid["items"][:limit], "valid_noisy_si_sdri": valid.get("items_noisy", [])[:limit],
            "train_voices_si_sdri": torch.load(work / "train_voices.pt", weights_only=True)["items"][:limit]}
    sets = {name: items for name, items in sets.items() if items}
    log(f"evaluating on {len(sets['valid_si_sdri'])} validation mixtures (clean and noisy) and "
        f"{len(sets['train_voices_si_sdri'])} training-voice mixtures (eval_limit {limit})")
    for name, job in jobs.items():
        entry = metrics["runs"][name]
        _throughput(entry, work / name)
        if "model" not in job.info:
            continue
        try:
            entry.update(report.evaluate(out / job.info["model"], sets, device, deadline))
            log(f"{name}: {job.status}, {entry.get('steps')} steps, valid SI-SDRi {entry.get('valid_si_sdri')}, "
                f"noisy {entry.get('valid_noisy_si_sdri')}, training voices {entry.get('train_voices_si_sdri')}")
        except Exception as exc:  # noqa: BLE001 (one bad model must not cost the others' numbers)
            log(f"{name}: evaluation failed: {first_line(exc)}")
        report.write_json(out / "metrics.json", metrics)


def _throughput(entry: dict, run_dir: Path) -> None:
    """Steps/s and hours of training audio per minute of the run's wall-clock time (start-up included)."""
    status = run_dir / "status.json"
    info = json.loads(status.read_text()) if status.is_file() else {}
    steps, seconds = entry.get("steps", 0), info.get("seconds", entry.get("seconds", 0))
    if steps and seconds:
        entry["steps_per_s"] = round(steps / seconds, 3)
        if info:
            entry["audio_hours_per_min"] = round(steps * info["batch_size"] * info["segment"] / 3600 / seconds * 60, 3)
            entry["stage"] = info["stage"]
