"""The audio examples page: valid, self-contained HTML, and in headless Chromium every player and figure loads."""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from slimsep.cli.main import main

VOID = {"meta", "img", "br", "hr", "link", "input", "source"}
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _Checker(HTMLParser):
    """Balanced tags and every local reference, collected."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.refs += [v for k, v in attrs if k in ("src", "href") and v and not v.startswith("#")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"


@pytest.fixture(scope="module")
def site(condition_tree: Path, tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    assert main(["demo-page", "--model", str(tiny_model_path), "--data", str(condition_tree), "-o", str(out)]) == 0
    return out


def test_page_is_valid_and_self_contained(site: Path) -> None:
    checker = _Checker()
    text = (site / "index.html").read_text()
    checker.feed(text)
    assert checker.stack == ["html"] or checker.stack == [], checker.stack
    assert len([r for r in checker.refs if r.endswith(".wav")]) == 2 * 2 * 5
    for ref in checker.refs:
        assert "://" not in ref and (site / ref).is_file(), ref
    assert text.startswith("<!DOCTYPE html>")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_page_renders_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    url = (site / "index.html").as_uri()
    common = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000"]
    dom = subprocess.run(["chromium", *common, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout).group(0)
    audio = re.search(r'data-audio-loaded="(\d+)/(\d+)"', body)
    images = re.search(r'data-images-rendered="(\d+)/(\d+)"', body)
    assert audio and audio.group(1) == audio.group(2) == "20", body
    assert images and images.group(1) == images.group(2) == "4", body
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    shot = tmp_path / "page.png"
    subprocess.run(["chromium", *common, "--window-size=1200,1600", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def noise_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mixture in each of four conditions whose string order differs from their order by value."""
    import soundfile as sf

    from slimsep.data.synthetic import SyntheticSpec, make_example

    root = tmp_path_factory.mktemp("noise_conditions")
    for k, name in enumerate(["ov25_na0", "ov100_na100", "ov100_na50", "ov100_na0"]):
        mix, src = make_example(SyntheticSpec(seconds=1.0), k)
        for kind, audio in (("mix_clean", mix), ("mix_both", mix), ("s1", src[0]), ("s2", src[1]),
                            ("noise", 0 * mix)):
            (root / "test" / name / kind).mkdir(parents=True, exist_ok=True)
            sf.write(root / "test" / name / kind / "m0.wav", audio.numpy(), 8000, subtype="FLOAT")
    return root


def _sections(page: Path) -> list[str]:
    return re.findall(r'<h2 id="([^"]+)">', page.read_text())


def test_noisy_page_lists_conditions_by_value(noise_tree: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    assert main(["demo-page", "--model", str(tiny_model_path), "--data", str(noise_tree), "--task", "sep_noisy",
                 "--per-condition", "1", "-o", str(tmp_path)]) == 0
    assert _sections(tmp_path / "index.html") == ["ov100_na0", "ov100_na50", "ov100_na100", "ov25_na0"]


def test_clean_page_has_no_noise_conditions_and_names_the_model_given(noise_tree: Path, tiny_model_path: Path,
                                                                      tmp_path: Path) -> None:
    """On the clean task the na50 / na100 folders play clean audio, so they get no section under a noisy label."""
    assert main(["demo-page", "--model", str(tiny_model_path), "--data", str(noise_tree), "--per-condition", "1",
                 "-o", str(tmp_path)]) == 0
    page = tmp_path / "index.html"
    assert _sections(page) == ["ov100_na0", "ov25_na0"]
    assert f"Model <code>{tiny_model_path}</code> (a <code>tiny</code> network)" in page.read_text()
    assert "clean mixtures" in page.read_text()
