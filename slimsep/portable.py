"""Commands written into docs and model cards are re-run by other people on other machines, so the absolute paths
of the machine that wrote them become the relative paths README's steps create: ``runs/<run>`` and ``corpus``."""
from __future__ import annotations

import re

_RUNS = re.compile(r"(?<![\w.~-])/(?:[\w.+-]+/)*?runs/")  # /work/runs/x -> runs/x
_CORPUS = re.compile(r"(?<![\w.~-])/(?:[\w.+-]+/)*open_corpus(?:_v\d+)?/?")  # /work/data/open_corpus_v2 -> corpus


def portable(text: str) -> str:
    """``text`` with run folders and open-corpus roots of this machine written relative to where a user stands."""
    return _CORPUS.sub("corpus", _RUNS.sub("runs/", text))
