"""README's steps run as written from a fresh clone: every repository file a README or docs command names exists,
every run or corpus folder a README command reads is made by a README step (within a block, by an earlier one),
the configs' own ``init_from`` and ``data.root`` included; the example outputs are ignored by git; and no path of a
developer's machine is left in configs, docs, scripts or the model card."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
REPO_TOP = ("configs/", "scripts/", "benchmarks/", "docs/", "slimsep/", "tests/", ".ci/")
MADE_TOP = ("runs/", "corpus/")  # what README's steps write; a fresh clone has neither
OUT_FLAGS = ("-o", "--out", "--outdir")
DEVELOPER_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|tmp|home|Users)/")


def bash_commands(path: Path) -> list[list[list[str]]]:
    """Per ``bash`` block of ``path``, its commands as tokens (continuations joined, comments dropped)."""
    blocks = re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S)
    out = []
    for block in blocks:
        commands, until = [], None
        for line in block.replace("\\\n", " ").splitlines():
            if until is not None:  # a here-document's body is data, not commands
                until = None if line.strip() == until else until
                continue
            if "<<" in line:
                until = line.split("<<", 1)[1].strip(" -'\"")
                line = line.split("<<", 1)[0]
            for part in re.split(r"&&|;|\|", line):
                try:
                    tokens = shlex.split(part, comments=True)
                except ValueError:
                    continue
                if tokens:
                    commands.append(tokens)
        out.append(commands)
    return out


def _values(tokens: list[str]) -> list[str]:
    """Every token, and the value of each ``KEY=VALUE``, as a path candidate (trailing slash dropped)."""
    values = [t.split("=", 1)[1] if "=" in t and not t.startswith("-") else t for t in tokens]
    return [v.rstrip("/") for v in values if v and not v.startswith("-")]


def _outputs(tokens: list[str]) -> set[str]:
    made = {tokens[i + 1].rstrip("/") for i, t in enumerate(tokens[:-1]) if t in OUT_FLAGS}
    if tokens[:2] == ["slimsep", "train"]:
        made |= {f"{m}/model.pt" for m in made}
    return made


def _config_reads(tokens: list[str]) -> list[str]:
    """``init_from`` and ``data.root`` of a ``slimsep train`` command's config, after its ``--set`` overrides."""
    if tokens[:2] != ["slimsep", "train"] or "--config" not in tokens:
        return []
    cfg = yaml.safe_load((REPO / tokens[tokens.index("--config") + 1]).read_text())
    reads = {"init_from": cfg.get("init_from"), "data.root": cfg.get("data", {}).get("root")}
    for i, t in enumerate(tokens[:-1]):
        if t == "--set" and tokens[i + 1].split("=", 1)[0] in reads:
            key, value = tokens[i + 1].split("=", 1)
            reads[key] = value
    return [str(v).rstrip("/") for v in reads.values() if v]


def _made(path: str, made: set[str]) -> bool:
    return any(path == m or path.startswith(m + "/") for m in made)


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_repository_file_a_command_names_exists(doc: Path) -> None:
    missing = [f"{' '.join(c)}: {v}" for block in bash_commands(doc) for c in block for v in _values(c)
               if v.startswith(REPO_TOP) and "*" not in v and not (REPO / v).exists()]
    assert not missing, "\n".join(missing)


def test_readme_steps_read_only_what_an_earlier_step_makes() -> None:
    """Within a block, in order; a block may use what another section's steps make (a trained model file)."""
    blocks = bash_commands(REPO / "README.md")
    problems = []
    for k, block in enumerate(blocks):
        elsewhere = {m for j, other in enumerate(blocks) if j != k for c in other for m in _outputs(c)}
        here = {m for c in block for m in _outputs(c)}
        earlier: set[str] = set()
        for tokens in block:
            own = _outputs(tokens)
            problems += [f"{' '.join(tokens)}: its config reads {v}, a path of another machine"
                         for v in _config_reads(tokens) if v.startswith("/")]
            for path in [v for v in _values(tokens) + _config_reads(tokens) if v not in own]:
                if not path.startswith(MADE_TOP) and path != "corpus" or _made(path, earlier | elsewhere):
                    continue
                why = "before the step that makes it" if _made(path, here) else "which no README step makes"
                problems.append(f"{' '.join(tokens)}: reads {path}, {why}")
            earlier |= own
    assert not problems, "\n".join(problems)


def test_readme_training_block_has_every_stage_in_order() -> None:
    train = [c for block in bash_commands(REPO / "README.md") for c in block if c[:2] == ["slimsep", "train"]]
    stages = [yaml.safe_load((REPO / c[c.index("--config") + 1]).read_text())["stage"] for c in train]
    assert stages == ["static", "slimmable", "gate"]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
def test_readme_example_outputs_are_ignored_by_git() -> None:
    folders = sorted({m.split("/")[0] for block in bash_commands(REPO / "README.md") for c in block
                      for m in _outputs(c)} | {"slimsep-demo"})
    kept = [f for f in folders if subprocess.run(["git", "check-ignore", "-q", "--no-index", f],
                                                 cwd=REPO).returncode != 0]
    assert not kept, f"README writes into folders git would pick up (and the GPU pack would count): {kept}"


def test_no_path_of_a_developer_machine() -> None:
    files = [REPO / "README.md", REPO / ".ci" / "run", *sorted((REPO / "slimsep" / "pretrained").glob("*.md"))]
    files += [p for top in ("docs", "configs", "scripts", "benchmarks") for p in sorted((REPO / top).rglob("*"))
              if p.suffix in {".md", ".yaml", ".py", ".sh"} and p.is_file()]
    found = [f"{p.relative_to(REPO)}:{n}: {line.strip()[:100]}" for p in files
             for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if DEVELOPER_PATH.search(line)]
    assert not found, "\n".join(found)


def test_recorded_commands_are_made_portable() -> None:
    """What ``scripts/ship_model.py`` and ``scripts/results_page.py`` write into the model card and the results."""
    from slimsep.portable import portable

    assert portable("-o /work/runs/g --set init_from=/work/runs/s/model.pt --set data.root=/work/data/open_corpus_v2 "
                    "--corpus /srv/x/open_corpus/") == ("-o runs/g --set init_from=runs/s/model.pt --set "
                                                        "data.root=corpus --corpus corpus")
    assert portable("configs/small_open_gate.yaml runs/a") == "configs/small_open_gate.yaml runs/a"


def test_readme_separations_do_not_collide() -> None:
    """Run in order, no ``slimsep separate`` of the README may find another one's outputs (it would refuse them)."""
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for block in bash_commands(REPO / "README.md"):
        for tokens in (c for c in block if c[:2] == ["slimsep", "separate"] and "--overwrite" not in c):
            outdir = next(iter(_outputs(tokens)), "separated")
            inputs = [t for i, t in enumerate(tokens[2:], 2) if not t.startswith("-")
                      and not tokens[i - 1].startswith("-")]
            for stem in (Path(t).stem for t in inputs):
                if (outdir, stem) in seen:
                    clashes.append(f"{' '.join(tokens)}: {outdir}/{stem}_spk1.wav written before by "
                                   f"{seen[outdir, stem]}")
                seen[outdir, stem] = " ".join(tokens)
    assert not clashes, "\n".join(clashes)


def test_the_model_card_tells_every_stage_of_the_training() -> None:
    from tests.scripts import load_script

    ship = load_script("ship_model")
    lineage = [{"stage": "static", "steps": 5394}, {"stage": "slimmable", "steps": 800}, {"stage": "gate", "steps": 300}]
    assert ship.training_history({"lineage": lineage})[-1] == (
        "Training history, every stage in order: static 5,394 steps, then slimmable 800 steps, then gate 300 steps.")
    assert ship.training_history({}) == []
