"""Readers for the standard corpora, taking the root exactly as the generation scripts leave it (docs/corpora.md).

- wsj0-2mix: ``<root>/2speakers/wav8k/min/{tr,cv,tt}/{mix,s1,s2}/``
- WHAM!:     ``<root>/wav8k/min/{tr,cv,tt}/{mix_clean,mix_both,s1,s2,noise}/``
- Libri2Mix: ``<root>/Libri2Mix/wav8k/min/{train-360,train-100,dev,test}/...`` + ``metadata/mixture_*.csv``

Users may point at the corpus root or at any folder down to the rate/mode level; the readers find the rest.
"""
from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from slimsep.data.factory import register
from slimsep.data.folders import PairedFilesDataset, WavFolderDataset, task_mixture
from slimsep.errors import SlimsepError

WSJ_SPLITS = {"train": "tr", "valid": "cv", "test": "tt"}
LIBRI_SPLITS = {"train": "train-360", "valid": "dev", "test": "test"}
KEYS = ("root", "sample_rate", "mode", "segment", "seed", "train_subset", "valid_subset", "test_subset")


def _rate_mode_dir(root: Path, prefixes: list[str], sample_rate: int, mode: str) -> Path:
    """The ``wav8k/min`` folder under ``root`` (tried with each prefix), or ``root`` itself if it is one."""
    if mode not in ("min", "max"):
        raise SlimsepError(f"mode must be 'min' or 'max', got {mode!r}")
    tail = Path(f"wav{sample_rate // 1000}k", mode)
    for prefix in prefixes + [""]:
        candidate = root / prefix / tail
        if candidate.is_dir():
            return candidate
    if root.parts[-2:] == tail.parts:
        return root
    looked = ", ".join(str(Path(p) / tail) for p in prefixes + [""])
    raise SlimsepError(f"{root}: no {tail} folder (looked for {looked}); point at the corpus root")


def _split(spec: Mapping[str, Any], split: str, names: dict[str, str]) -> str:
    if split not in names:
        raise SlimsepError(f"unknown split {split!r}; choose from {', '.join(names)}")
    return spec.get(f"{split}_subset", names[split])


@register("wsj0-2mix", keys=KEYS)
def wsj0_2mix(spec: Mapping[str, Any], split: str) -> Dataset:
    sr, mode = spec.get("sample_rate", 8000), spec.get("mode", "min")
    base = _rate_mode_dir(Path(spec["root"]), ["2speakers"], sr, mode) / _split(spec, split, WSJ_SPLITS)
    return WavFolderDataset(base / "mix", [base / "s1", base / "s2"], sr, _segment(spec, split), spec.get("seed", 0))


@register("wham", keys=(*KEYS, "task"))
def wham(spec: Mapping[str, Any], split: str) -> Dataset:
    sr, mode, task = spec.get("sample_rate", 8000), spec.get("mode", "min"), spec.get("task", "sep_clean")
    mix = task_mixture(task)
    base = _rate_mode_dir(Path(spec["root"]), [], sr, mode) / _split(spec, split, WSJ_SPLITS)
    return WavFolderDataset(base / mix, [base / "s1", base / "s2"], sr, _segment(spec, split),
                            spec.get("seed", 0))


@register("libri2mix", keys=(*KEYS, "task"))
def libri2mix(spec: Mapping[str, Any], split: str) -> Dataset:
    """From the metadata CSV when there is one (paths re-rooted if the corpus moved), else by scanning folders."""
    sr, mode, task = spec.get("sample_rate", 8000), spec.get("mode", "min"), spec.get("task", "sep_clean")
    mix = task_mixture(task)
    base = _rate_mode_dir(Path(spec["root"]), ["Libri2Mix"], sr, mode)
    subset = _split(spec, split, LIBRI_SPLITS)
    mix_type = "both" if task == "sep_noisy" else "clean"
    csv_path = base / "metadata" / f"mixture_{subset}_mix_{mix_type}.csv"
    segment = _segment(spec, split)
    if not csv_path.is_file():
        folder = base / subset
        return WavFolderDataset(folder / mix, [folder / "s1", folder / "s2"], sr, segment,
                                spec.get("seed", 0))
    items = [_libri_item(row, base / subset, mix, csv_path) for row in _rows(csv_path)]
    return PairedFilesDataset(items, sr, segment, spec.get("seed", 0), label=str(csv_path))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "mixture_ID" not in rows[0]:
        raise SlimsepError(f"{path}: not a Libri2Mix metadata file (no mixture_ID column)")
    return rows


def _libri_item(row: dict[str, str], subset_dir: Path, mix_dir: str, csv_path: Path) -> tuple[str, Path, list[Path]]:
    """Paths as written in the CSV if they exist; otherwise rebuilt under this root from the mixture ID."""
    name = f"{row['mixture_ID']}.wav"
    written = [Path(row["mixture_path"]), Path(row["source_1_path"]), Path(row["source_2_path"])]
    if all(p.is_file() for p in written):
        return row["mixture_ID"], written[0], written[1:]
    rerooted = [subset_dir / mix_dir / name, subset_dir / "s1" / name, subset_dir / "s2" / name]
    for p in rerooted:
        if not p.is_file():
            raise SlimsepError(f"{csv_path}: {row['mixture_ID']}: file not found at {written[0].parent} "
                               f"(as written) nor at {p} (re-rooted)")
    return row["mixture_ID"], rerooted[0], rerooted[1:]


def _segment(spec: Mapping[str, Any], split: str) -> float | None:
    return spec.get("segment", 4.0) if split == "train" else None
