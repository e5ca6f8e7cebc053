"""Every document that the code, the scripts and the docs cite exists in the repository, so a reader can follow it."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("slimsep", "tests", "scripts", "benchmarks", "configs", "docs", ".ci")
SUFFIXES = {".py", ".md", ".yaml", ".sh", ""}
DOCS_PATH = re.compile(r"(?<![\w/])docs/[\w./-]+\.md")  # docs/model.md, docs/results_src/intro.md
ROOT_DOC = re.compile(r"(?<![\w/.-])(?:[\w.-]+/)*[A-Z][A-Z_]*\.md")  # README.md; a folder outside the repo fails
MD_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")  # [text](relative/path.md#anchor)


def _texts() -> list[tuple[Path, str]]:
    files = [REPO / "README.md"] + [p for top in SOURCES for p in sorted((REPO / top).rglob("*"))
                                    if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts]
    return [(p, p.read_text(encoding="utf-8", errors="replace")) for p in files]


def test_every_cited_document_exists() -> None:
    missing = []
    for path, text in _texts():
        cited = DOCS_PATH.findall(text) + ROOT_DOC.findall(text)
        missing += [f"{path.relative_to(REPO)} cites {c}" for c in cited if not (REPO / c).is_file()]
    assert not missing, "\n".join(missing)


def test_every_relative_markdown_link_resolves() -> None:
    missing = []
    for path, text in _texts():
        if path.suffix != ".md":
            continue
        links = [t for t in MD_LINK.findall(text) if not re.match(r"[a-z]+:", t)]
        missing += [f"{path.relative_to(REPO)} links {t}" for t in links if not (path.parent / t).exists()]
    assert not missing, "\n".join(missing)
