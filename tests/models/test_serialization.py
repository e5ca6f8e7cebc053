"""Model files: one file reloads to an identical model; a hostile file cannot run code."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from slimsep.errors import SlimsepError
from slimsep.models import DSN, get_config, load_model, save_model
from slimsep.models.serialization import model_metadata
from tests.conftest import randomise


def test_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = randomise(DSN(get_config("tiny", sample_rate=16000, widths=(0.0, 0.25, 0.5, 1.0)))).eval()
    path = save_model(model, tmp_path / "m.pt", metadata={"stage": "test", "lambda": 0.1})
    loaded = load_model(path)
    assert loaded.cfg == model.cfg
    mix = torch.randn(1, 3000)
    with torch.inference_mode():
        for widths in (None, 0.25, 1.0):
            a, b = model(mix, widths), loaded(mix, widths)
            assert torch.equal(a.estimates, b.estimates) and torch.equal(a.width_idx, b.width_idx)
    assert model_metadata(path) == {"stage": "test", "lambda": 0.1}


def test_half_precision_file_is_smaller_and_close(tmp_path: Path) -> None:
    model = DSN(get_config("tiny")).eval()
    full, half = save_model(model, tmp_path / "f.pt"), save_model(model, tmp_path / "h.pt", half=True)
    assert half.stat().st_size < 0.7 * full.stat().st_size
    mix = torch.randn(1, 2000)
    with torch.inference_mode():
        ref, got = model(mix, 1.0).estimates, load_model(half)(mix, 1.0).estimates
    assert torch.allclose(ref, got, atol=1e-2 * ref.abs().max().item())


class _Exploit:
    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (Path(self.marker),))

    def __init__(self, marker: str) -> None:
        self.marker = marker


def test_untrusted_file_cannot_execute_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.pt"
    torch.save({"format": "slimsep-model", "payload": _Exploit(str(marker))}, bad)
    with pytest.raises(SlimsepError, match="refused"):
        load_model(bad)
    assert not marker.exists()
    with open(tmp_path / "raw.pt", "wb") as f:
        pickle.dump(_Exploit(str(marker)), f)
    with pytest.raises(SlimsepError):
        load_model(tmp_path / "raw.pt")
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"not a model", None])
def test_bad_files_give_clear_errors(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "m.pt"
    if content is None:
        torch.save({"just": torch.zeros(1)}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(SlimsepError, match=str(path.name)):
        load_model(path)
    with pytest.raises(SlimsepError, match="does not exist"):
        load_model(tmp_path / "missing.pt")


NEW_KEYS = ("in_norm", "stack_norm", "final_norm")  # ModelConfig fields added with the recipe controls


def test_file_without_the_new_config_keys_loads_as_before(tmp_path: Path) -> None:
    """A file written before in_norm/stack_norm/final_norm existed must rebuild the model it was saved from."""
    model = randomise(DSN(get_config("tiny", in_norm="frame"))).eval()
    path = save_model(model, tmp_path / "old.pt")
    payload = torch.load(path, weights_only=True)
    for key in NEW_KEYS:
        payload["config"].pop(key)
    torch.save(payload, path)
    loaded = load_model(path)
    assert (loaded.cfg.in_norm, loaded.cfg.stack_norm, loaded.cfg.final_norm) == ("frame", False, False)
    mix = torch.randn(1, 3000)
    with torch.inference_mode():
        assert torch.equal(model(mix, 1.0).estimates, loaded(mix, 1.0).estimates)


def test_shipped_model_runs_with_the_norms_its_file_stores() -> None:
    """The shipped file's norms come from its own stored config, whatever the named configs say today (the
    defaults until 2026-11-30 kept the per-frame norm after `small` moved to the global one)."""
    shipped = Path(__file__).parents[2] / "slimsep" / "pretrained" / "default.pt"
    stored = torch.load(shipped, weights_only=True)["config"]
    cfg = load_model(shipped).cfg
    assert (cfg.in_norm, cfg.stack_norm, cfg.final_norm) == (stored["in_norm"], stored["stack_norm"],
                                                             stored["final_norm"])


def test_new_options_round_trip(tmp_path: Path) -> None:
    model = randomise(DSN(get_config("tiny", in_norm="global", stack_norm=True, final_norm=True))).eval()
    loaded = load_model(save_model(model, tmp_path / "m.pt"))
    assert loaded.cfg == model.cfg
    mix = torch.randn(1, 3000)
    with torch.inference_mode():
        assert torch.equal(model(mix, None).estimates, loaded(mix, None).estimates)


def test_bad_in_norm_is_a_clear_error() -> None:
    with pytest.raises(SlimsepError, match="in_norm must be frame or global"):
        get_config("tiny", in_norm="batch")
