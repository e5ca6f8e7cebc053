"""``scripts/build_voices.py``: the voices folder rebuilt from a pinned commit of a local clone (a tiny origin made
here), trimmed to its speech plus 0.25 s, with per-file failures reported and built files skipped on a rerun."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.scripts import load_script

HEADER = "source\tspeaker\tgender\tlanguage\tlicence\tduration_s\tpath\torigin"
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
FRAME_S = 0.02 + 1e-9  # a frame partly over the speech counts: at most 10 ms at each end


@pytest.fixture(autouse=True)
def _importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's worker processes unpickle its functions by module name, so the module must be registered."""
    monkeypatch.setitem(sys.modules, "build_voices", load_script("build_voices"))


def _script():  # noqa: ANN202 (the script as a module)
    return sys.modules["build_voices"]


def _speech_like(rate: int, before: float, speech: float, after: float, channels: int) -> np.ndarray:
    """Silence (noise at -80 dBFS), a syllable-modulated 180 Hz tone with harmonics, silence."""
    rng = np.random.default_rng(0)
    t = np.arange(int(speech * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 180 * k * t) / k for k in (1, 2, 3)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    x = np.concatenate([np.zeros(int(before * rate)), 0.2 * voice, np.zeros(int(after * rate))])
    x = x + 1e-4 * rng.standard_normal(x.shape)
    return np.stack([x * (1 - 0.3 * c) for c in range(channels)], axis=1)


def _origin(tmp_path: Path) -> tuple[Path, str]:
    """``clones/owner/repo`` with a 16 kHz stereo WAV and a 22.05 kHz FLAC at the returned commit; a later commit
    deletes them, so the build must read the pinned commit, not the work tree."""
    repo = tmp_path / "clones" / "owner" / "repo"
    (repo / "audio").mkdir(parents=True)
    sf.write(repo / "audio" / "a.wav", _speech_like(16000, 0.6, 1.5, 0.6, 2), 16000, subtype="PCM_16")
    sf.write(repo / "audio" / "b.flac", _speech_like(22050, 0.4, 1.0, 0.3, 1), 22050, subtype="PCM_16")
    subprocess.run([*GIT, "init", "-q", str(repo)], check=True)
    subprocess.run([*GIT, "-C", str(repo), "add", "audio"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", "audio"], check=True)
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    subprocess.run([*GIT, "-C", str(repo), "rm", "-q", "-r", "audio"], check=True)
    subprocess.run([*GIT, "-C", str(repo), "commit", "-q", "-m", "gone"], check=True)
    return tmp_path / "clones", commit


def _manifest(tmp_path: Path, commit: str, wav_path: str = "audio/a.wav") -> Path:
    """Two rows: the WAV (2.0 s once trimmed: 1.5 s of speech + 2 x 0.25 s) and the FLAC (1.5 s)."""
    rows = [f"corpus\tspk1\tF\ten\tCC0-1.0\t2.000\tcorpus/spk1/a.flac\towner/repo@{commit}:{wav_path}",
            f"corpus\tspk2\tM\ten\tCC0-1.0\t1.500\tcorpus/spk2/b.flac\towner/repo@{commit}:audio/b.flac"]
    path = tmp_path / "manifest.tsv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _build(clones: Path, out: Path, manifest: Path, *extra: str) -> int:
    return _script().main(["--clones", str(clones), "-o", str(out), "--manifest", str(manifest), *extra])


def test_files_are_8k_mono_flac_trimmed_to_speech(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clones, commit = _origin(tmp_path)
    manifest = _manifest(tmp_path, commit)
    assert _build(clones, tmp_path / "out", manifest) == 0
    for name, seconds in (("spk1/a.flac", 2.0), ("spk2/b.flac", 1.5)):
        path = tmp_path / "out" / "corpus" / name
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (8000, 1, "FLAC", "PCM_16")
        assert abs(info.duration - seconds) <= FRAME_S
        audio, _ = sf.read(path)
        onset = np.flatnonzero(np.abs(audio) > 0.01)[0] / 8000  # the tone starts 0.25 s in, to within a frame
        assert abs(onset - 0.25) <= FRAME_S
    assert (tmp_path / "out" / "MANIFEST.tsv").read_text() == manifest.read_text()
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == ["MANIFEST.tsv", "a.flac",
                                                                                    "b.flac"]
    assert "durations: 0 of 2 files off" in capsys.readouterr().out
    status = subprocess.run(["git", "-C", str(clones / "owner" / "repo"), "status", "--porcelain"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""  # the clone's work tree is untouched


def test_trim_matches_a_known_speech_span() -> None:
    """Speech placed at known samples comes back with 0.25 s (2000 samples) around it, to within a 20 ms frame
    (160 samples: a frame that only partly overlaps the speech still counts as speech)."""
    bv = _script()
    x = np.zeros(16000, dtype=np.float32)
    x[4000:9000] = 0.3 * np.sin(np.arange(5000) * 0.3)
    x[9000:9600] = 1e-4  # -80 dBFS: below the floor, so not speech
    start, stop = bv.speech_span(x)
    assert 4000 - 2000 - 160 <= start <= 4000 - 2000 and 9000 + 2000 <= stop <= 9000 + 2000 + 160


def test_a_missing_path_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clones, commit = _origin(tmp_path)
    manifest = _manifest(tmp_path, commit, wav_path="audio/missing.wav")
    assert _build(clones, tmp_path / "out", manifest, "--jobs", "1") == 1
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if line.startswith("FAILED")]
    assert failed == [f"FAILED owner/repo@{commit}:audio/missing.wav: no file audio/missing.wav at commit {commit}"]
    assert "1 of 2 files failed" in err
    assert (tmp_path / "out" / "corpus" / "spk2" / "b.flac").is_file()
    assert not (tmp_path / "out" / "corpus" / "spk1").exists()
    assert "audio/b.flac" in (tmp_path / "out" / "MANIFEST.tsv").read_text()
    assert "missing.wav" not in (tmp_path / "out" / "MANIFEST.tsv").read_text()


def test_a_second_run_skips_built_files_and_reads_bare_clones(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    clones, commit = _origin(tmp_path)
    bare = tmp_path / "bare"
    subprocess.run(["git", "clone", "-q", "--bare", str(clones / "owner" / "repo"), str(bare / "owner" / "repo")],
                   check=True)
    manifest = _manifest(tmp_path, commit)
    assert _build(bare, tmp_path / "out", manifest) == 0
    built = tmp_path / "out" / "corpus" / "spk1" / "a.flac"
    stamp = built.stat().st_mtime_ns
    capsys.readouterr()
    assert _build(bare, tmp_path / "out", manifest) == 0
    assert "0 built, 2 already there, 0 failed" in capsys.readouterr().out
    assert built.stat().st_mtime_ns == stamp


def test_durations_off_the_manifest_are_reported_not_fatal(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    clones, commit = _origin(tmp_path)
    manifest = _manifest(tmp_path, commit)
    manifest.write_text(manifest.read_text().replace("\t2.000\t", "\t2.300\t"))
    assert _build(clones, tmp_path / "out", manifest, "--jobs", "1") == 0
    out = capsys.readouterr().out
    assert "duration off: corpus/spk1/a.flac" in out and "durations: 1 of 2 files off" in out


def test_missing_clone_and_commit_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clones, commit = _origin(tmp_path)
    manifest = _manifest(tmp_path, commit)
    text = manifest.read_text()
    manifest.write_text(text.replace(f"owner/repo@{commit}:audio/a", "other/repo@" + commit + ":audio/a")
                        .replace(f"@{commit}:audio/b", "@" + "0" * 40 + ":audio/b"))
    assert _build(clones, tmp_path / "out", manifest, "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert "FAILED other/repo: no clone at" in err and "(1 files; git clone https://github.com/other/repo" in err
    assert f"commit {'0' * 40} is not in" in err and "2 of 2 files failed" in err


def test_a_missing_clone_is_one_line_however_many_files_it_holds(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A new user without clones once got one FAILED line per file (3,822)."""
    clones, commit = _origin(tmp_path)
    manifest = _manifest(tmp_path, commit)
    manifest.write_text(manifest.read_text().replace("owner/repo@", "other/repo@"))
    assert _build(clones, tmp_path / "out", manifest, "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert sum(line.startswith("FAILED") for line in err.splitlines()) == 1
    assert "FAILED other/repo: no clone at" in err and "2 of 2 files failed" in err
