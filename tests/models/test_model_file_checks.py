"""Broken model files (issue 28): each is one line naming the file, before any audio is read; nothing is written."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from slimsep.cli.main import main
from slimsep.errors import SlimsepError
from slimsep.inference.pretrained import resolve
from slimsep.models import DSN, get_config, load_model, save_model
from slimsep.models.serialization import read_model_file


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    return save_model(DSN(get_config("tiny")), tmp_path / "model.pt")


def _edited(model_file: Path, edit) -> Path:  # noqa: ANN001 - payload -> None
    payload = torch.load(model_file, weights_only=True)
    edit(payload)
    torch.save(payload, model_file)
    return model_file


def _separate(model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    wav = tmp_path / "mix.wav"
    sf.write(wav, 0.1 * np.random.default_rng(0).standard_normal(16000).astype(np.float32), 8000)
    code = main(["separate", str(wav), "--model", str(model), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir()), "nothing may be written"
    return code, err


def test_random_bytes_in_the_middle_of_a_model_file(model_file: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(model_file.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 5000] = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    model_file.write_bytes(bytes(data))
    code, err = _separate(model_file, tmp_path, capsys)
    assert code == 1 and err.startswith(f"slimsep: error: {model_file}: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("damage,message", [("nan", "holds NaN or Inf"), ("times_1e30", "reaches 1e+30")])
def test_model_file_whose_weights_are_nan_or_huge(model_file: Path, tmp_path: Path, damage: str, message: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    def edit(payload: dict) -> None:
        payload.pop("checksum")  # as in a file written before checksums: the value checks must catch it
        for tensor in payload["state_dict"].values():
            if tensor.is_floating_point():
                tensor.fill_(float("nan")) if damage == "nan" else tensor.fill_(1e30)

    code, err = _separate(_edited(model_file, edit), tmp_path, capsys)
    assert code == 1 and f"{model_file}: damaged model file: weight" in err and message in err, err
    assert err.count("\n") == 1


def test_a_checksum_catches_weights_changed_after_saving(model_file: Path) -> None:
    def edit(payload: dict) -> None:
        next(iter(payload["state_dict"].values())).view(-1)[0] += 0.01

    with pytest.raises(SlimsepError, match="weights do not match their stored checksum"):
        load_model(_edited(model_file, edit))


@pytest.mark.parametrize("edit,message", [
    (lambda p: p.pop("state_dict"), "damaged model file: no 'state_dict' section"),
    (lambda p: p.pop("config"), "damaged model file: no 'config' section"),
    (lambda p: p["config"].update(sample_rate=0), "bad model config (invalid model config: sample_rate must be"),
    (lambda p: p["config"].update(n_heads=0), "bad model config (invalid model config: n_heads must be"),
    (lambda p: p["config"].update(sample_rate="8000"), "bad model config (invalid model config: sample_rate"),
    (lambda p: p["config"].update(d_model=64), "weights do not match the stored config"),
])
def test_model_file_without_state_dict_or_with_sample_rate_zero(model_file: Path, tmp_path: Path, edit,  # noqa: ANN001
                                                                 message: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _separate(_edited(model_file, edit), tmp_path, capsys)
    assert code == 1 and f"{model_file}: {message}" in err and err.count("\n") == 1, err


def test_a_huge_config_is_refused_before_allocating_it(model_file: Path) -> None:
    _edited(model_file, lambda p: p["config"].update(n_filters=10**12))
    with pytest.raises(SlimsepError, match="weights do not match the stored config"):
        load_model(model_file)


def test_half_precision_files_carry_a_checksum_and_load(tmp_path: Path) -> None:
    path = save_model(DSN(get_config("tiny")), tmp_path / "half.pt", half=True)
    assert read_model_file(path)["checksum"]["algorithm"] == "sha256"
    assert load_model(path).cfg.name == "tiny"


def test_a_file_from_before_checksums_still_loads(tmp_path: Path) -> None:
    """The defaults shipped until 2026-11-30 had no checksum; such files load, checked by the other checks only."""
    path = save_model(DSN(get_config("tiny")), tmp_path / "old.pt", half=True)
    payload = torch.load(path, weights_only=True)
    payload.pop("checksum")
    torch.save(payload, path)
    assert load_model(path).cfg.name == "tiny"


def test_the_shipped_default_carries_a_checksum_and_loads() -> None:
    path = resolve(None)
    assert torch.load(path, weights_only=True)["checksum"]["algorithm"] == "sha256"
    assert load_model(path).cfg.sample_rate == 8000


@pytest.mark.parametrize("content", [b"notes, not a model\n", b"{}", b"RIFF\x24\x00\x00\x00WAVEfmt ", "cut"])
def test_a_file_that_is_no_model_archive_says_so_in_plain_words(model_file: Path, tmp_path: Path, content: bytes | str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Text, JSON, a WAV renamed .pt, a copy cut short: torch's own messages were '(101)', 'pop from empty list'
    or a sentence cut off mid-way; each is now one line that says what the file is not."""
    data = model_file.read_bytes()[:100_000] if content == "cut" else content
    model_file.write_bytes(data)
    code, err = _separate(model_file, tmp_path, capsys)
    assert code == 1 and err.count("\n") == 1, err
    assert f"{model_file}: not a slimsep model file (not a torch.save archive" in err, err


def test_an_archive_with_python_objects_is_refused_without_suggesting_unsafe_loading(
        model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.save({"format": "x", "obj": Path("x")}, model_file)  # an object weights_only refuses
    code, err = _separate(model_file, tmp_path, capsys)
    assert code == 1 and "refused to load" in err and "weights_only" not in err and err.count("\n") == 1, err


def test_a_file_without_its_checksum_loads_with_a_note_naming_it(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 45: a removed checksum entry loaded silently; now one note (once per file), and the file still loads
    (files from before the checksum have none)."""
    path = save_model(DSN(get_config("tiny")), tmp_path / "unchecked.pt")
    payload = torch.load(path, weights_only=True)
    payload.pop("checksum")
    torch.save(payload, path)
    assert load_model(path).cfg.name == "tiny" and load_model(path).cfg.name == "tiny"
    err = capsys.readouterr().err
    assert err.startswith(f"slimsep: note: {path}: no checksum of its weights") and err.count("\n") == 1, err
    load_model(save_model(DSN(get_config("tiny")), tmp_path / "checked.pt"))
    assert capsys.readouterr().err == ""


def test_a_full_disk_while_saving_a_model_is_one_line_naming_it(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 45: torch.save into a path on a full disk raised a RuntimeError riddle; through a file object it is
    ENOSPC, one line naming the file, and the old file stays."""
    import builtins

    from slimsep.errors import DiskFullError
    from slimsep.models import serialization

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    path = save_model(DSN(get_config("tiny")), tmp_path / "model.pt")
    before = path.read_bytes()
    monkeypatch.setattr(serialization, "open", lambda *a, **k: builtins.open("/dev/full", "wb"), raising=False)
    with pytest.raises(DiskFullError, match=f"^{path}: the disk is full"):
        save_model(DSN(get_config("tiny")), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.pt"]
