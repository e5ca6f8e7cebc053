"""Signals in ``slimsep.cli.main`` (issue 45, items 2 and 5): SIGHUP stops any command as SIGTERM does (exit 129,
temporary files removed), and a signal that lands while libraries import stops the run with 143 and one line, not an
ImportError traceback from a half-imported module."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import Stopper, main
from slimsep.models import DSN, get_config, save_model
from tests.inference.test_broken_inputs import BLOCKING_RUN

REPO = Path(__file__).resolve().parents[2]
TINY = ["--config", str(REPO / "configs" / "tiny_synthetic.yaml"), "--set", "trainer.enable_progress_bar=false",
        "--set", "trainer.threads=1"]


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (Linux: SigCgt in /proc/<pid>/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(mask >> (signum - 1) & 1)


def _wait_until(done: object, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not done() and proc.poll() is None and time.time() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def _default_sighup() -> None:
    """In the child: SIGHUP as a terminal session has it. Under ``nohup`` the suite inherits SIGHUP ignored, and
    slimsep rightly leaves an ignored signal ignored, so the test would wait for a stop that never comes."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_sighup_during_separate_removes_temporaries_and_exits_129(tmp_path: Path) -> None:
    """A closed terminal or a dropped ssh session, while the second input is half written."""
    model = save_model(DSN(get_config("tiny")), tmp_path / "tiny.pt")
    noise = (0.1 * np.random.default_rng(0).standard_normal(30 * 8000)).astype(np.float32)
    (tmp_path / "in").mkdir()
    sf.write(tmp_path / "in" / "first.wav", noise[:16000], 8000, subtype="FLOAT")
    sf.write(tmp_path / "in" / "long.wav", noise, 8000, subtype="FLOAT")
    out, ready = tmp_path / "o", tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", BLOCKING_RUN, str(ready), str(tmp_path / "in" / "first.wav"),
                             str(tmp_path / "in" / "long.wav"), "--model", str(model), "-o", str(out)], cwd=REPO,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sighup)
    try:
        _wait_until(ready.exists, proc)
        assert ready.exists(), "the run never reached the long file"
        assert any(p.name.startswith(".long") for p in out.iterdir()), "the long file's temporary outputs exist"
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # a no-op once it has ended; never a stray process when an assertion fails
    assert proc.returncode == 129, err
    assert err.strip().splitlines()[-1].startswith("slimsep: stopped by SIGHUP; this run's temporary files"), err
    assert sorted(p.name for p in out.iterdir()) == ["first_slimsep.json", "first_spk1.wav", "first_spk2.wav"]


INSIDE_AN_IMPORT = """
import os, signal, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
Path(sys.argv[1], "halfway.py").write_text(
    "import os, signal, time\\n"
    "os.kill(os.getpid(), signal.SIGTERM)  # the signal lands inside this import\\n"
    "time.sleep(0.5)\\n"
    "COMPLETE = True\\n")
import slimsep.cli.train_cmd as train_cmd
from slimsep.cli.main import main

def run(args):
    import halfway
    Path(sys.argv[1], "imported").write_text(str(halfway.COMPLETE))
    time.sleep(30)  # the signal, held back until the import was over, stops the run here
    return 0

train_cmd.run = run
sys.exit(main(["train", "-o", sys.argv[1]]))
"""


def test_a_signal_inside_an_import_waits_for_the_import(tmp_path: Path) -> None:
    """An exception raised inside an import leaves a half-initialised module (numpy, torch's C extensions) that the
    code unwinding imports again: an ImportError traceback and exit 1. The signal waits for the import instead."""
    proc = subprocess.run([sys.executable, "-c", INSIDE_AN_IMPORT, str(tmp_path)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 143, proc.stderr
    assert (tmp_path / "imported").read_text() == "True", "the module was imported whole"
    assert proc.stderr.splitlines() == ["slimsep: stopped by SIGTERM; this run's temporary files were removed, "
                                        "finished outputs are complete"]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads a process's handlers from /proc (Linux)")
def test_sigterm_while_train_imports_its_libraries(tmp_path: Path) -> None:
    """The first seconds of ``slimsep train``: the handler is there before any command module loads, and a SIGTERM
    then (here while torch and Lightning import) is exit 143 and one line."""
    proc = subprocess.Popen([sys.executable, "-m", "slimsep.cli.main", "train", *TINY, "-o", str(tmp_path / "run")],
                            cwd=REPO, stderr=subprocess.PIPE, text=True)
    _wait_until(lambda: _catches(proc.pid, signal.SIGTERM), proc, seconds=60)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143 and "Traceback" not in err, err[-3000:]
    assert err.strip().splitlines()[-1].startswith("slimsep: stopped by SIGTERM"), err[-3000:]
    assert not (tmp_path / "run" / "model.pt").exists()


def test_ignored_signals_stay_ignored_and_handlers_are_restored() -> None:
    """Every command gets the SIGHUP handler, except that ``nohup`` ignores SIGHUP and the run must go on ignoring
    it. ``main`` called in-process leaves the caller's handlers as they were."""
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    previous = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        stopper = Stopper()
        stopper.install()
        assert signal.getsignal(signal.SIGHUP) == stopper.stop
        stopper.restore()
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        stopper = Stopper()
        stopper.install()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == stopper.stop
        stopper.restore()
        assert main(["profile", "--threads", "0"]) == 2
        assert {s: signal.getsignal(s) for s in before} == before
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
