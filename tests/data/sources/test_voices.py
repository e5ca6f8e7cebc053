"""The voices-folder source: manifest checks, speaker-disjoint stratified splits, levels in the built corpus."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.data import open_corpus, sources
from slimsep.data.sources import debian_speech, voices
from slimsep.data.sources.levels import LEVEL_DBFS, active_rms
from slimsep.errors import SlimsepError

HEADER = "source\tspeaker\tgender\tlanguage\tlicence\tduration_s\tpath\torigin"


def make_voices(root: Path, per_source: dict[str, int], seconds: float = 4.0, extra: str = "") -> Path:
    """A voices folder: ``per_source`` speakers per corpus, alternating F/M, two files each, levels from -45 to
    -10 dBFS (the folder keeps recorded levels); ``extra`` appended to every manifest row (e.g. a split column)."""
    rng = np.random.default_rng(0)
    lines = [HEADER + ("\tsplit" if extra else "")]
    k = 0
    for source, count in per_source.items():
        for i in range(count):
            for j in range(2):
                rel = Path(source, f"s{i:03d}", f"u{j}.flac")
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                t = np.arange(int(seconds * 8000)) / 8000
                tone = np.sin(2 * np.pi * (110 + 7 * k) * t) * (1 + 0.3 * rng.standard_normal(t.size))
                gain = 10 ** (rng.uniform(-45, -10) / 20)
                sf.write(root / rel, (tone / np.abs(tone).max() * gain).astype(np.float32), 8000)
                lines.append(f"{source}\ts{i:03d}\t{'FM'[i % 2]}\ten\tCC0-1.0\t{seconds:.3f}\t{rel.as_posix()}"
                             f"\towner/repo@{'0' * 40}:{rel.as_posix()}" + (f"\t{extra}" if extra else ""))
            k += 1
    (root / "MANIFEST.tsv").write_text("\n".join(lines) + "\n")
    return root


def test_splits_are_speaker_disjoint_stratified_and_fixed_by_the_seed(tmp_path: Path) -> None:
    rows = voices.read_manifest(make_voices(tmp_path, {"alpha": 20, "beta": 10}))
    split = voices.draw_splits(rows, n_valid=3, n_test=6, seed=0)
    assert Counter(split.values()) == {"train": 21, "test": 6, "valid": 3}
    test = [v for v, s in split.items() if s == "test"]
    assert Counter(v.split("_")[0] for v in test) == {"alpha": 4, "beta": 2}  # in proportion to the corpora
    genders = {r.voice: r.gender for r in rows}
    assert Counter(genders[v] for v in test) == {"f": 3, "m": 3}
    assert voices.draw_splits(rows, 3, 6, seed=0) == split
    assert voices.draw_splits(rows, 3, 6, seed=1) != split
    found = voices.speakers(tmp_path, n_valid=3, n_test=6)
    assert {s.split for s in found} == {"train", "valid_read", "test_read"}
    assert all(len(s.clips) == 2 for s in found)


def test_a_pinned_split_is_kept_and_a_speaker_in_two_splits_is_one_line(tmp_path: Path) -> None:
    make_voices(tmp_path, {"alpha": 12}, extra="train")
    manifest = tmp_path / "MANIFEST.tsv"
    lines = manifest.read_text().splitlines()
    lines[1] = lines[1].rsplit("\t", 1)[0] + "\ttest"  # s000's first file pinned to test, its second to train
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(SlimsepError, match=r"MANIFEST.tsv: speaker alpha_s000 is in two splits \(test, train\)"):
        voices.read_manifest(tmp_path)
    lines[2] = lines[2].rsplit("\t", 1)[0] + "\ttest"
    lines[3:] = [line.rsplit("\t", 1)[0] + "\t" for line in lines[3:]]  # the rest drawn
    manifest.write_text("\n".join(lines) + "\n")
    split = voices.draw_splits(voices.read_manifest(tmp_path), n_valid=2, n_test=3)
    assert split["alpha_s000"] == "test" and Counter(split.values()) == {"train": 7, "test": 3, "valid": 2}


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.unlink(), r"MANIFEST.tsv: missing"),
    (lambda m: m.write_text(m.read_text().replace("\tduration_s", "\tlength")),
     r"MANIFEST.tsv: malformed manifest, missing column\(s\) duration_s"),
    (lambda m: m.write_text(m.read_text().replace("\tF\t", "\tfemale\t", 1)),
     r"MANIFEST.tsv, line 2: gender 'female' is not F, M or empty"),
    (lambda m: m.write_text(m.read_text().replace("\t4.000\t", "\tn/a\t", 1)),
     r"MANIFEST.tsv, line 2: duration_s 'n/a' is not a positive number"),
    (lambda m: (m.parent / "alpha/s000/u0.flac").unlink(), r"alpha/s000/u0.flac: listed in .*line 2 but not there"),
    (lambda m: m.write_text(HEADER + "\n"), r"MANIFEST.tsv: the manifest lists no files"),
])
def test_manifest_faults_are_one_line_naming_the_file(tmp_path: Path, edit, message: str) -> None:  # noqa: ANN001
    edit(make_voices(tmp_path, {"alpha": 4}) / "MANIFEST.tsv")
    with pytest.raises(SlimsepError, match=message) as caught:
        voices.read_manifest(tmp_path)
    assert "\n" not in str(caught.value)


def test_too_few_speakers_for_the_held_out_sets_is_refused(tmp_path: Path) -> None:
    rows = voices.read_manifest(make_voices(tmp_path, {"alpha": 6}))
    with pytest.raises(SlimsepError, match="6 speakers with 8 s of speech and no pinned split: too few for 4 test and 2 validation"):
        voices.draw_splits(rows, n_valid=2, n_test=4)


def test_an_unreadable_listed_file_is_one_line_naming_it(tmp_path: Path) -> None:
    make_voices(tmp_path, {"alpha": 4})
    (tmp_path / "alpha/s001/u1.flac").write_bytes(b"fLaC not really")
    broken = next(s for s in voices.speakers(tmp_path, 1, 1) if s.name == "alpha_s001")
    with pytest.raises(SlimsepError, match=r"alpha/s001/u1.flac: unreadable audio"):
        broken.clips[1]()


def test_corpus_v3_levels_splits_and_conditions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The voices join the corpus at the training level whatever their recorded level, held-out voices get their
    own condition folders, and the Debian splits are untouched (here: two fake Debian voices per split)."""
    folder = make_voices(tmp_path / "voices", {"alpha": 8, "beta": 4}, seconds=4.0)
    debian = [sources.Speaker(f"deb_{split}_{i}", "f", "xx", source="deb", assigned_split=split,
                              clips=[sources.speaker.memory_clip(np.sin(np.arange(32000) * (0.05 + 0.01 * i))
                                                                 .astype(np.float32) * 0.1, 8000)])
              for split in ("train", "valid", "test") for i in range(2)]
    noise = [(f"noise_{i}", sources.speaker.memory_clip(np.random.default_rng(i).standard_normal(16000)
                                                        .astype(np.float32) * 0.05, 8000)) for i in range(20)]
    monkeypatch.setattr(sources, "debian_speakers", lambda seed, quiet: debian)
    monkeypatch.setattr(debian_speech, "noise_files", lambda: noise)
    out = tmp_path / "corpus"
    summary = open_corpus.build_open_corpus(out, n_test=2, n_valid=2, voices=folder, voices_held_out=(2, 3),
                                            progress=lambda line: None)
    rows = open_corpus.read_manifest(out)
    assert summary["version"] == 3 and summary["voices"]["licences"] == {"alpha": ["CC0-1.0"], "beta": ["CC0-1.0"]}
    assert len(summary["voices"]["split_speakers"]["test_read"]) == 3
    open_corpus.check_disjoint(rows)
    levels = [20 * np.log10(active_rms(sf.read(out / r["path"])[0], 8000)) for r in rows if r["source"] == "alpha"]
    assert levels and max(abs(level - LEVEL_DBFS) for level in levels) < 0.5
    for split in ("valid", "test", "valid_read", "test_read"):
        assert len(list((out / split).glob("ov*_na*"))) == 9
    talkers = {r["speaker"] for r in rows if r["split"] == "test_read"}
    meta = (out / "test_read/ov100_na0/metadata.csv").read_text()
    assert any(t in meta for t in talkers) and "deb_test" not in meta


def test_a_speaker_in_two_splits_of_the_corpus_is_refused() -> None:
    rows = [{"speaker": "a", "split": "train"}, {"speaker": "", "split": "test"}, {"speaker": "a", "split": "test"}]
    with pytest.raises(SlimsepError, match="speaker a is in two splits"):
        open_corpus.check_disjoint(rows)
