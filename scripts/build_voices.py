"""Build the voices folder (``../shared/voices``) from local clones of the public repositories its manifest names.

Users do not get the folder itself, only its manifest (``scripts/voices_manifest.tsv``), so this script redoes the
folder's conversion (its README, "How the files were made") from the pinned origins: each row's blob is read with
``git show <commit>:<path>`` (the clone's work tree is never touched; any clone holding the commit works, bare or
not), decoded, averaged to mono, resampled to 8 kHz with ``scipy.signal.resample_poly``, trimmed of leading and
trailing silence and written as 16-bit FLAC under ``OUT/<path>``. Files already built are skipped, so an
interrupted build resumes; a missing clone, commit, path or an undecodable file is reported and the build goes on.
The selection (drops, per-speaker caps) is the manifest's, so it is not redone here.
Usage: python scripts/build_voices.py --clones DIR -o OUT [--manifest scripts/voices_manifest.tsv] [--only SOURCE ...]
"""
from __future__ import annotations

import argparse
import io
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from math import gcd
from multiprocessing import Pool
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from slimsep.atomic import atomic_path, write_text_atomic
from slimsep.errors import Interrupted

MANIFEST = Path(__file__).resolve().parent / "voices_manifest.tsv"
RATE = 8000
FRAME = 160  # 20 ms frames ...
HOP = 80  # ... every 10 ms: the folder's files were trimmed on half-overlapping frames (checked against them)
RANGE_DB = 35.0  # a speech frame is within this of the loudest frame ...
FLOOR_DBFS = -55.0  # ... and above this
KEEP = 2000  # 0.25 s kept before the first and after the last speech frame
TOLERANCE_S = 0.05  # a built file further than this from the manifest's duration_s is reported
PROGRESS_EVERY = 100
MAX_JOBS = 2


class BuildError(Exception):
    """One file's problem (missing clone, commit or path, undecodable audio): reported, and the build goes on."""


class Row(NamedTuple):
    """One manifest row: ``line`` is kept verbatim so that the built manifest matches the folder's byte for byte."""

    line: str
    source: str
    duration_s: float
    path: str
    origin: str


class Result(NamedTuple):
    """What a worker did with one row: ``status`` built, skipped (already there) or failed; ``frames`` of the file."""

    row: Row
    status: str
    frames: int = 0
    problem: str = ""


def read_manifest(path: Path) -> tuple[str, list[Row]]:
    """The header line and the rows of a ``MANIFEST.tsv`` (columns found by name, so their order may change)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    columns = lines[0].split("\t")
    index = {name: columns.index(name) for name in ("source", "duration_s", "path", "origin")}
    rows = []
    for line in lines[1:]:
        if line.strip():
            cells = line.split("\t")
            rows.append(Row(line, cells[index["source"]], float(cells[index["duration_s"]]), cells[index["path"]],
                            cells[index["origin"]]))
    return lines[0], rows


def missing_clones(rows: list[Row], clones: Path) -> dict[str, int]:
    """Repository -> how many of ``rows`` it holds, for each repository with no clone folder: one line each, not
    one per file (speechocean762 alone has 2,945)."""
    missing: dict[str, int] = {}
    for row in rows:
        repo = split_origin(row.origin)[0]
        if not (clones / repo).is_dir():
            missing[repo] = missing.get(repo, 0) + 1
    return missing


def split_origin(origin: str) -> tuple[str, str, str]:
    """``owner/repo@commit:path`` as (``owner/repo``, commit, path)."""
    repo, _, rest = origin.partition("@")
    commit, _, path = rest.partition(":")
    if not (repo.count("/") == 1 and commit and path):
        raise BuildError("not an owner/repo@commit:path origin")
    return repo, commit, path


def _git(clone: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(clone), *args], capture_output=True)


def read_blob(clones: Path, origin: str) -> bytes:
    """The origin's file as committed; on failure, BuildError saying which of clone, commit or path is missing."""
    repo, commit, path = split_origin(origin)
    clone = clones / repo
    if not clone.is_dir():
        raise BuildError(f"no clone at {clone} (git clone https://github.com/{repo} {clone})")
    shown = _git(clone, "show", f"{commit}:{path}")
    if shown.returncode == 0:
        return shown.stdout
    if _git(clone, "rev-parse", "--git-dir").returncode != 0:
        raise BuildError(f"{clone} is not a git clone: {_first_line(shown.stderr)}")
    if _git(clone, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        raise BuildError(f"commit {commit} is not in {clone} (git -C {clone} fetch origin)")
    if _git(clone, "cat-file", "-e", f"{commit}:{path}").returncode != 0:
        raise BuildError(f"no file {path} at commit {commit}")
    raise BuildError(f"git show failed: {_first_line(shown.stderr)}")


def _first_line(stderr: bytes) -> str:
    lines = stderr.decode(errors="replace").strip().splitlines()
    return lines[0] if lines else "(no message)"


def decode_mono(data: bytes) -> tuple[np.ndarray, int]:
    """WAV, FLAC or MP3 bytes as mono float32 (channels averaged) and their sample rate. float32 throughout, as the
    folder was made: its files are then reproduced sample for sample (float64 differs by 1 LSB in places)."""
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, TypeError, ValueError) as exc:
        raise BuildError(f"cannot decode: {exc}") from None
    if audio.shape[0] == 0:
        raise BuildError("no audio samples")
    return audio.mean(axis=1), rate


def to_rate(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` at :data:`RATE`, polyphase-resampled by the reduced ratio (as the folder's files were)."""
    if rate == RATE:
        return x
    common = gcd(RATE, rate)
    return resample_poly(x, RATE // common, rate // common)


def speech_span(x: np.ndarray) -> tuple[int, int]:
    """Start and stop of ``x`` trimmed to its speech frames plus :data:`KEEP` on each side; BuildError if silent.

    Energy is each frame's mean square (a trailing partial frame is not scored); a frame is speech when within
    :data:`RANGE_DB` of the loudest frame and above :data:`FLOOR_DBFS`, so quiet recordings keep their speech and
    hiss alone never counts."""
    count = max(1, (len(x) - FRAME) // HOP + 1)
    padded = np.zeros((count - 1) * HOP + FRAME)
    padded[:min(len(x), len(padded))] = x[:len(padded)]
    frames = padded[np.arange(count)[:, None] * HOP + np.arange(FRAME)]  # float64, whatever x is
    level = 10 * np.log10(np.maximum((frames ** 2).mean(axis=1), 1e-20))
    speech = np.flatnonzero((level >= level.max() - RANGE_DB) & (level > FLOOR_DBFS))
    if speech.size == 0:
        raise BuildError(f"no speech (no 20 ms frame above {FLOOR_DBFS:g} dBFS)")
    return max(0, speech[0] * HOP - KEEP), min(len(x), speech[-1] * HOP + FRAME + KEEP)


def convert(data: bytes) -> np.ndarray:
    """An origin file's bytes as the folder's audio: mono, 8 kHz, trimmed (levels as recorded)."""
    x, rate = decode_mono(data)
    x = to_rate(x, rate)
    start, stop = speech_span(x)
    return x[start:stop]


def write_flac(path: Path, audio: np.ndarray) -> None:
    """16-bit FLAC at :data:`RATE`, atomically (an interrupted build leaves no half-written file to skip later);
    samples beyond full scale (resampling overshoot) are clipped rather than wrapped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".flac") as tmp:
        sf.write(tmp, np.clip(audio, -1.0, 1.0), RATE, format="FLAC", subtype="PCM_16")


def build_one(task: tuple[Row, Path, Path]) -> Result:
    """Build one row's file unless it is there already (worker entry point; never raises for a file's problem)."""
    row, clones, out = task
    target = out / row.path
    if target.is_file():
        return Result(row, "skipped", sf.info(str(target)).frames)
    try:
        audio = convert(read_blob(clones, row.origin))
        write_flac(target, audio)
    except BuildError as exc:
        return Result(row, "failed", problem=str(exc))
    return Result(row, "built", len(audio))


def run_all(rows: list[Row], clones: Path, out: Path, jobs: int) -> Iterator[Result]:
    """Each row's result, in the manifest's order, from ``jobs`` worker processes (1: in this process)."""
    tasks = [(row, clones, out) for row in rows]
    if jobs <= 1:
        yield from map(build_one, tasks)
        return
    pool = Pool(jobs, initializer=_worker_signals)
    try:
        yield from pool.imap(build_one, tasks, chunksize=4)
        pool.close()  # the workers finish and exit on their own: no signal reaches them mid-write
    except BaseException:
        pool.terminate()  # stopped: SIGTERM ends the workers at once; main removes their temporary files
        raise
    finally:
        pool.join()


def _worker_signals() -> None:
    """In a worker: Ctrl-C is the main process's to handle (it terminates the pool), and SIGTERM (the pool's
    terminate) ends the worker at once, as the pool expects: not main's handler, which a forked worker inherits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def remove_temporaries(out: Path, rows: list[Row]) -> None:
    """Delete the temporary files (``.<name>.<random>.flac`` beside each target) of workers ended mid-write, so a
    stopped build leaves only complete files."""
    for folder in {(out / row.path).parent for row in rows}:
        for tmp in folder.glob(".*.flac"):
            tmp.unlink(missing_ok=True)


def _raise_interrupted(signum: int, frame: object) -> None:
    """SIGTERM in the main process: an exception, so that the pool is terminated and temporary files removed."""
    raise Interrupted(signum)


def collect(results: Iterable[Result], total: int) -> list[Result]:
    """Print each failure as it comes (one line naming the origin) and progress every :data:`PROGRESS_EVERY`."""
    done: list[Result] = []
    for result in results:
        done.append(result)
        if result.status == "failed":
            print(f"FAILED {result.row.origin}: {result.problem}", file=sys.stderr, flush=True)
        if len(done) % PROGRESS_EVERY == 0 or len(done) == total:
            print(f"{len(done)}/{total} files: {_counts(done)}", flush=True)
    return done


def _counts(results: list[Result]) -> str:
    n = {s: sum(r.status == s for r in results) for s in ("built", "skipped", "failed")}
    return f"{n['built']} built, {n['skipped']} already there, {n['failed']} failed"


def write_manifest(out: Path, header: str, rows: list[Row]) -> int:
    """``OUT/MANIFEST.tsv``: the manifest's rows whose file is in OUT (this run's or an earlier one's, so a
    build done source by source with ``--only`` ends with the whole manifest); returns how many."""
    present = [row.line for row in rows if (out / row.path).is_file()]
    write_text_atomic(out / "MANIFEST.tsv", "\n".join([header, *present]) + "\n")
    return len(present)


def report_durations(results: list[Result]) -> None:
    """Name the built files whose duration is off the manifest's by more than :data:`TOLERANCE_S`."""
    built = [(r, r.frames / RATE - r.row.duration_s) for r in results if r.status != "failed"]
    off = [(r, delta) for r, delta in built if abs(delta) > TOLERANCE_S]
    for result, delta in off:
        print(f"duration off: {result.row.path}: {result.frames / RATE:.3f} s, manifest {result.row.duration_s:.3f}"
              f" s ({delta:+.3f} s)")
    print(f"durations: {len(off)} of {len(built)} files off by more than {TOLERANCE_S} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", type=Path, required=True, help="folder holding the clones as <owner>/<repo>")
    parser.add_argument("-o", "--out", type=Path, required=True, help="folder to build (created; resumable)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=f"default {MANIFEST.name} beside this script")
    parser.add_argument("--only", nargs="+", metavar="SOURCE", help="build only these sources (e.g. librispeech)")
    parser.add_argument("--jobs", type=int, default=MAX_JOBS, choices=range(1, MAX_JOBS + 1),
                        help=f"worker processes (default {MAX_JOBS}, at most {MAX_JOBS})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("git") is None:
        sys.exit("build_voices: no git on PATH (the files are read from the clones with git show)")
    if not args.manifest.is_file():
        sys.exit(f"build_voices: {args.manifest}: no such manifest")
    header, rows = read_manifest(args.manifest)
    unknown = set(args.only or ()) - {row.source for row in rows}
    if unknown:
        sys.exit(f"build_voices: no source {', '.join(sorted(unknown))} in {args.manifest} "
                 f"(sources: {', '.join(sorted({row.source for row in rows}))})")
    chosen = [row for row in rows if not args.only or row.source in args.only]
    missing = missing_clones(chosen, args.clones)
    for repo, count in missing.items():
        print(f"FAILED {repo}: no clone at {args.clones / repo} ({count} files; git clone "
              f"https://github.com/{repo} {args.clones / repo})", file=sys.stderr)
    unbuilt = sum(missing.values())
    chosen = [row for row in chosen if split_origin(row.origin)[0] not in missing]
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"building {len(chosen)} files into {args.out} from clones in {args.clones}", flush=True)
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        results = collect(run_all(chosen, args.clones, args.out, args.jobs), len(chosen))
    except (Interrupted, KeyboardInterrupt) as exc:
        remove_temporaries(args.out, chosen)
        print("build_voices: stopped; finished files are complete, rerun to resume", file=sys.stderr)
        return exc.exit_code if isinstance(exc, Interrupted) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    listed = write_manifest(args.out, header, rows)
    report_durations(results)
    failed = sum(r.status == "failed" for r in results) + unbuilt
    print(f"done: {_counts(results)}; {args.out / 'MANIFEST.tsv'} lists {listed} files")
    if failed:
        print(f"build_voices: {failed} of {len(chosen) + unbuilt} files failed (see the FAILED lines above)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
