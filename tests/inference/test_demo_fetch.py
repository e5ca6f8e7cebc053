"""``slimsep demo`` on a machine without apt-get: a codec2-examples .deb saved into the cache by hand is enough,
and the first fetch says what it is doing."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import main
from slimsep.data import debian
from slimsep.data.synthetic import SyntheticSpec, make_example
from slimsep.models import DSN, get_config, save_model
from tests.data.test_debian import fake_deb


def _wav(seed: int) -> bytes:
    _, sources = make_example(SyntheticSpec(seconds=3.0), seed)
    buffer = io.BytesIO()
    sf.write(buffer, sources[0].numpy(), 8000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize("quiet", [False, True])
def test_demo_from_a_hand_saved_deb_announces_the_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], quiet: bool) -> None:
    monkeypatch.setenv("SLIMSEP_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache" / "debian").mkdir(parents=True)
    fake_deb(tmp_path / "cache" / "debian" / "codec2-examples_1.0_all.deb",
             {f"./usr/share/codec2/wav/{name}": _wav(k) for k, name in enumerate(("hts1a.wav", "cross.wav"))})
    monkeypatch.setattr(debian.shutil, "which", lambda tool: None)  # neither apt-get nor dpkg-deb
    model = save_model(DSN(get_config("tiny")), tmp_path / "tiny.pt")
    args = ["demo", "--model", str(model), "-o", str(tmp_path / "demo")] + ["--quiet"] * quiet
    assert main(args) == 0
    assert ("fetching Debian's codec2-examples" in capsys.readouterr().err) != quiet
    assert np.isfinite(sf.read(tmp_path / "demo" / "estimate1.wav")[0]).all()
    report = json.loads((tmp_path / "demo" / "report.json").read_text())
    # The timeline's column names came without the timeline: both are written, as by `slimsep separate`.
    assert len(report["widths_over_time"][0]) == len(report["widths_over_time_columns"]) == 2
    assert main(args) == 0 and "fetching" not in capsys.readouterr().err  # cached: nothing to announce
