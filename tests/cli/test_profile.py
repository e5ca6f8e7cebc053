"""``slimsep profile`` prints a table or one JSON object with every width and the mixed assignment."""
from __future__ import annotations

import json

import pytest

from slimsep.cli.main import main
from slimsep.inference.pretrained import resolve
from slimsep.models import get_config, load_model


def test_profile_json_lists_every_width(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--config", "tiny", "--seconds", "0.5", "--runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["width"] for row in report["widths"]] == sorted(get_config("tiny").widths, reverse=True)
    gmacs = [row["gmac_per_s"] for row in report["widths"]]
    assert gmacs == sorted(gmacs, reverse=True) and all(row["ms_per_s"] > 0 for row in report["widths"])
    assert gmacs[-1] < report["mixed"]["gmac_per_s"] < gmacs[0]
    assert report["slim_inter"] is True


def test_profile_table_without_slim_inter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--config", "tiny", "--seconds", "0.5", "--runs", "1", "--no-slim-inter"]) == 0
    out = capsys.readouterr().out
    assert "slim_inter=False" in out and "| mixed |" in out


def test_profile_bad_model_path_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    assert main(["profile", "--model", str(tmp_path / "nope.pt")]) == 2
    assert "nope.pt: model file does not exist" in capsys.readouterr().err


def test_profile_takes_a_shipped_model_name(capsys: pytest.CaptureFixture[str]) -> None:
    """Like `slimsep separate --model default`: a shipped name, not only a file path."""
    assert main(["profile", "--model", "default", "--seconds", "0.5", "--runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # The shipped file's own config, not the named architecture of today: "small" named an all-transformer network
    # before its intra layers became convolutions, and the layer types tell the two apart.
    cfg = load_model(resolve("default")).cfg
    assert report["model"] == cfg.name and report["intra_type"] == cfg.intra_type


def test_profile_table_names_the_layer_types(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--config", "small", "--seconds", "0.5", "--runs", "1"]) == 0
    assert "model: small (conv intra, transformer inter layers" in capsys.readouterr().out
