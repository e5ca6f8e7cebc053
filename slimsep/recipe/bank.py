"""Decode a pack once into ``work/`` (the training speakers' utterances, the fixed validation and training-voice
mixtures) so that every run process loads plain arrays instead of decoding Vorbis again."""
from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from slimsep.data.simulator import MixtureRecipe, render
from slimsep.data.tensor_mix import SourceBank, mix_batch
from slimsep.errors import SlimsepError
from slimsep.recipe.decode import decode_speaker

TRAIN_VOICE_MIXTURES = 32  # fixed mixtures of training voices: how well the runs fit what they saw
TRAIN_VOICE_SECONDS = 4.0
TRAIN_VOICE_SEED = 20261130


def decode_pack(pack: Path, work: Path, workers: int) -> dict:
    """Write ``work/train.npz`` (speaker -> utterances), ``work/valid.pt`` and ``work/train_voices.pt`` (lists of
    (mix [T], sources [2, T]) float32 tensors). Returns counts."""
    if not (pack / "pack.json").is_file():
        raise SlimsepError(f"{pack}: no pack.json; run `python scripts/gpu_recipe.py pack` first")
    info = json.loads((pack / "pack.json").read_text())
    names = sorted(info["speakers"])
    jobs = [(str(pack / info["speakers"][n]["file"]), info["speakers"][n]["utterances"]) for n in names]
    with ProcessPoolExecutor(max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        decoded = dict(zip(names, pool.map(decode_speaker, jobs)))
    by_path = {u[0]: clip for n in names for u, clip in zip(info["speakers"][n]["utterances"], decoded[n])}
    train = {n: decoded[n] for n in names if info["speakers"][n]["split"] == "train"}
    work.mkdir(parents=True, exist_ok=True)
    _save_train(work / "train.npz", train)
    recipes = _round_robin(info["valid_recipes"])  # any prefix (eval_limit, limit_val_batches) spans all conditions
    valid = [_render(row, by_path) for row in recipes]
    torch.save({"items": valid, "conditions": [r["condition"] for r in recipes]}, work / "valid.pt")
    gen = torch.Generator().manual_seed(TRAIN_VOICE_SEED)
    mix, src = mix_batch(SourceBank(train), TRAIN_VOICE_MIXTURES, int(TRAIN_VOICE_SECONDS * info["sample_rate"]), gen)
    torch.save({"items": list(zip(mix, src))}, work / "train_voices.pt")
    return {"train_speakers": len(train), "train_hours": round(sum(c.size for v in train.values() for c in v)
                                                                  / info["sample_rate"] / 3600, 3),
            "valid_mixtures": len(valid), "sample_rate": info["sample_rate"]}


def _round_robin(rows: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["condition"], []).append(row)
    parts = list(groups.values())
    return [part[i] for i in range(max(map(len, parts), default=0)) for part in parts if i < len(part)]


def _render(row: dict, by_path: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    recipe = MixtureRecipe.from_row({k: v for k, v in row.items() if k != "condition"})
    signals = render(recipe, by_path.__getitem__)
    return torch.from_numpy(signals["mix_clean"]), torch.from_numpy(np.stack([signals["s1"], signals["s2"]]))


def _save_train(path: Path, train: dict[str, list[np.ndarray]]) -> None:
    arrays = {}
    for k, name in enumerate(sorted(train)):
        clips = train[name]
        arrays[f"audio_{k}"] = np.concatenate(clips)
        arrays[f"lengths_{k}"] = np.array([c.shape[0] for c in clips], dtype=np.int64)
    np.savez(path, names=np.array(sorted(train)), **arrays)


def load_train(path: Path) -> dict[str, list[np.ndarray]]:
    """Inverse of the ``train.npz`` writer: speaker -> list of utterances."""
    data = np.load(path)
    out = {}
    for k, name in enumerate(data["names"].tolist()):
        audio, lengths = data[f"audio_{k}"], data[f"lengths_{k}"]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        out[name] = [audio[bounds[i]:bounds[i + 1]] for i in range(len(lengths))]
    return out
