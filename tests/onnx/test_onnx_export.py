"""The export folder: manifest, graphs whose weights follow their width, refusal to clobber, one-line errors."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from slimsep.errors import SlimsepError
from slimsep.models import DSN, get_config
from slimsep.onnx.export import export_onnx
from slimsep.onnx.format import FORMAT_VERSION, MANIFEST, flat_names
from slimsep.onnx.runtime import OnnxDSN
from tests.onnx.conftest import Exported, export_variant


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_variant("slim_inter", tmp_path_factory.mktemp("onnx")).folder


def _weights(path: Path) -> int:
    return sum(int(np.prod(t.dims)) for t in onnx.load(str(path)).graph.initializer)


def test_manifest_lists_every_graph_and_nothing_else(exported: Exported) -> None:
    manifest = json.loads((exported.folder / MANIFEST).read_text())
    names = flat_names(manifest["graphs"])
    assert sorted(names) == sorted(p.name for p in exported.folder.glob("*.onnx"))
    assert not [p for p in exported.folder.iterdir() if p.name.startswith(".")], "temporary files left"
    assert manifest["config"] == exported.model.cfg.to_dict()
    assert len(manifest["costs"]) == len(exported.model.cfg.widths) and manifest["costs"][-1] == 1.0


def test_graph_weights_follow_their_width(exported: Exported) -> None:
    """Each width's graph holds only its slice of the weights: compute follows the chosen width."""
    manifest = json.loads((exported.folder / MANIFEST).read_text())
    sizes = [_weights(exported.folder / name) for name in manifest["graphs"]["intra"][0]]
    widths = exported.model.cfg.widths
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes), sizes
    if widths[0] == 0:
        assert sizes[0] == 0
    qkv = manifest["graphs"].get("inter_qkv")
    if qkv:
        cfg = exported.model.cfg
        norm = 2 * cfg.d_model  # the shared LayerNorm before Q/K/V
        expected = [norm + 3 * (cfg.d_model + 1) * cfg.heads_at(w) * cfg.attn_head_dim for w in widths if w]
        assert [_weights(exported.folder / n) for n in qkv[0][0] if n] == expected
        assert _weights(exported.folder / manifest["graphs"]["attention"]) == 0


def test_refuses_non_empty_folder_unless_overwrite(folder: Path, tmp_path: Path) -> None:
    model = DSN(get_config("tiny")).eval()
    with pytest.raises(SlimsepError, match=f"{folder}: folder is not empty; pass --overwrite"):
        export_onnx(model, folder)
    (folder / "notes.txt").write_text("kept")
    fewer = DSN(get_config("tiny", widths=(0.5, 1.0))).eval()  # fewer widths: fewer graphs than slim_inter
    export_onnx(fewer, folder, overwrite=True)
    assert OnnxDSN(folder).cfg == fewer.cfg
    named = flat_names(json.loads((folder / MANIFEST).read_text())["graphs"])
    assert sorted(p.name for p in folder.glob("*.onnx")) == sorted(named), "the slim_inter graphs must not remain"
    assert (folder / "notes.txt").read_text() == "kept", "only an earlier export's files are replaced"
    (tmp_path / "file").write_text("x")
    with pytest.raises(SlimsepError, match="output folder is a file, not a folder"):
        export_onnx(model, tmp_path / "file")
    with pytest.raises(SlimsepError, match="--opset 9: supported opsets are 14 to 20"):
        export_onnx(model, tmp_path / "b", opset=9)


def _broken(folder: Path, tmp_path: Path, problem: str) -> Path:
    """A copy of an export folder with one problem."""
    bad = tmp_path / problem
    bad.mkdir()
    for p in folder.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    manifest = json.loads((bad / MANIFEST).read_text())
    if problem == "no_manifest":
        (bad / MANIFEST).unlink()
    elif problem == "old_format":
        (bad / MANIFEST).write_text(json.dumps({**manifest, "format_version": FORMAT_VERSION + 1}))
    elif problem == "not_slimsep":
        (bad / MANIFEST).write_text(json.dumps({"format": "something-else"}))
    elif problem == "bad_json":
        (bad / MANIFEST).write_text("{ not json")
    elif problem == "missing_graph":
        (bad / manifest["graphs"]["front"]).unlink()
    elif problem == "corrupt_graph":
        (bad / manifest["graphs"]["back"]).write_bytes(b"not an onnx graph")
    return bad


BROKEN = {
    "no_manifest": "{bad}: no manifest.json; not a folder written by `slimsep export onnx`",
    "old_format": "{bad}/manifest.json: export format version {v}",
    "not_slimsep": "{bad}/manifest.json: not a slimsep ONNX export manifest",
    "bad_json": "{bad}/manifest.json: unreadable manifest",
    "missing_graph": "{bad}/manifest.json: incomplete export: graph front.onnx is missing",
    "corrupt_graph": "{bad}/back.onnx: cannot load ONNX graph",
}


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_broken_folders_give_one_line(folder: Path, tmp_path: Path, problem: str) -> None:
    bad = _broken(folder, tmp_path, problem)
    with pytest.raises(SlimsepError) as info:
        OnnxDSN(bad)
    message = str(info.value)
    assert message.startswith(BROKEN[problem].format(bad=bad, v=FORMAT_VERSION + 1)), message
    assert "\n" not in message


def test_missing_folder_and_onnxruntime(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SlimsepError, match=f"{tmp_path / 'nope'}: exported model folder does not exist"):
        OnnxDSN(tmp_path / "nope")
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(SlimsepError, match="not a folder; --backend onnx takes the folder"):
        OnnxDSN(tmp_path / "model.pt")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(SlimsepError, match=r"onnxruntime is not installed; run `pip install slimsep\[onnx\]`"):
        OnnxDSN(folder)
