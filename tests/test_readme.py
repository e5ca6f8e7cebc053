"""README.md's examples work as written: every ``python`` block runs, and every ``slimsep`` command in a ``bash``
block names sub-commands and flags that exist (checked against the argument parser, not run)."""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from slimsep.cli.main import build_parser
from slimsep.data.synthetic import SyntheticSpec, make_example

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def slimsep_commands() -> list[list[str]]:
    """Each ``slimsep ...`` command of the bash blocks as tokens (continuations joined, comments dropped)."""
    commands = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|;", line):
                tokens = shlex.split(part, comments=True)
                if tokens[:1] == ["slimsep"]:
                    commands.append(tokens[1:])
    return commands


def test_readme_has_examples() -> None:
    assert blocks("python") and len(slimsep_commands()) >= 10


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in a folder holding the ``mix.wav`` the examples name (a generated 16 kHz stereo mixture)."""
    mix, _ = make_example(SyntheticSpec(seconds=3.0, sample_rate=16000), 0)
    sf.write(tmp_path / "mix.wav", np.stack([mix.numpy(), 0.5 * mix.numpy()], 1), 16000)
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks("python")[index], f"README.md python block {index}", "exec"), {"__name__": "readme"})


@pytest.mark.parametrize("tokens", slimsep_commands(), ids=lambda t: " ".join(t)[:60])
def test_slimsep_command_exists(tokens: list[str]) -> None:
    parser = build_parser()
    for token in tokens:
        if token.startswith("-"):
            flag = token.split("=", 1)[0]
            assert flag in parser._option_string_actions, f"{' '.join(tokens)}: no option {flag}"
            continue
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is not None and token in sub.choices:
            parser = sub.choices[token]
        elif sub is not None:
            pytest.fail(f"slimsep {' '.join(tokens)}: no sub-command {token}")
