"""Does a lone talker come out in one output? (issue 44) A table for a model on a held-out split of the open corpus.

    python benchmarks/lone_talker.py --data CORPUS [--model default] [--split test_read] [--limit 24] [--width W]

Two measures (:mod:`slimsep.evaluation.lone_talker`): the louder output's share of the outputs' energy

- on single-talker input: the first 4 s of one utterance per held-out speaker of the split (``--limit`` speakers,
  in name order), separated alone;
- on the single-talker stretches of the split's 25 %-overlap clean mixtures (``ov25_na0``, the first ``--limit``).

1.0: the voice sits in one output; 0.5: split evenly. The target is >= 0.9. One thread, the model as
``slimsep separate`` runs it (gates decide unless ``--width``).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from slimsep.audio import read_audio
from slimsep.data.open_corpus import read_manifest
from slimsep.evaluation.lone_talker import lone_talker_share
from slimsep.inference import Separator

SR = 8000


def single_talker_items(root: Path, split: str, limit: int) -> list[tuple[str, np.ndarray]]:
    """(speaker, first 4 s of its first utterance) for the first ``limit`` speakers of ``split``."""
    first: dict[str, str] = {}
    for row in read_manifest(root):
        if row["split"] == split and row["speaker"]:
            first.setdefault(row["speaker"], row["path"])
    return [(name, read_audio(root / first[name], expected_sr=SR)[0][0][:4 * SR]) for name in sorted(first)[:limit]]


def overlap_items(root: Path, split: str, limit: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(id, mixture, references [2, T]) of the first ``limit`` clean 25 %-overlap mixtures of ``split``."""
    folder = root / split / "ov25_na0"
    items = []
    for path in sorted((folder / "mix_clean").glob("*.wav"))[:limit]:
        refs = np.stack([read_audio(folder / s / path.name, expected_sr=SR)[0][0] for s in ("s1", "s2")])
        items.append((path.stem, read_audio(path, expected_sr=SR)[0][0], refs))
    return items


def summary(name: str, shares: list[float], seconds: float) -> str:
    s = np.array([x for x in shares if np.isfinite(x)])
    return (f"| {name} | {s.size} | {seconds:.0f} | {s.mean():.3f} | {s.min():.3f} | "
            f"{(s >= 0.9).mean() * 100:.0f} % |")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="an open corpus root (v3 for test_read)")
    p.add_argument("--model", default="default")
    p.add_argument("--split", default="test_read")
    p.add_argument("--limit", type=int, default=24)
    p.add_argument("--width", type=float, help="every chunk at this width (default: the gates decide)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    sep = Separator.from_pretrained(args.model, width=args.width)
    lone, lone_s = [], 0.0
    for _, voice in single_talker_items(args.data, args.split, args.limit):
        share, seconds = lone_talker_share(sep.separate(voice, SR)[0], np.stack([voice, 0 * voice]), SR)
        lone, lone_s = lone + [share], lone_s + seconds
    turns, turns_s = [], 0.0
    for _, mix, refs in overlap_items(args.data, args.split, args.limit):
        share, seconds = lone_talker_share(sep.separate(mix, SR)[0], refs, SR)
        turns, turns_s = turns + [share], turns_s + seconds
    print(f"model {args.model}, {'width ' + str(args.width) if args.width else 'gates decide'}, "
          f"{args.data}/{args.split}")
    print("| input | items | seconds judged | louder output's share, mean | worst | items >= 0.9 |")
    print("|---|---:|---:|---:|---:|---:|")
    print(summary("single talker alone (4 s)", lone, lone_s))
    print(summary("single-talker stretches of ov25_na0", turns, turns_s))


if __name__ == "__main__":
    main()
