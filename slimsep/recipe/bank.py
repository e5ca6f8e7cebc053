"""Decode a pack once into ``work/`` (the training speakers' utterances, the training noise clips, the fixed
validation and training-voice mixtures) so that every run process loads plain arrays instead of decoding Vorbis
again."""
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
    """Write ``work/train.npz`` (speaker -> utterances), ``work/noise.npz`` (the training noise clips, when the pack
    has them), ``work/valid.pt`` (``items``: clean mixtures, ``items_noisy``: the same with their noise) and
    ``work/train_voices.pt`` (lists of (mix [T], sources [2, T]) float32 tensors). Returns counts."""
    if not (pack / "pack.json").is_file():
        raise SlimsepError(f"{pack}: no pack.json; run `python scripts/gpu_recipe.py pack` first")
    info = json.loads((pack / "pack.json").read_text())
    entries = dict(info["speakers"], **{f"noise__{k}": v for k, v in info.get("noise", {}).items()})
    names = sorted(entries)
    jobs = [(str(pack / entries[n]["file"]), entries[n]["utterances"]) for n in names]
    with ProcessPoolExecutor(max(1, workers), mp_context=multiprocessing.get_context("spawn")) as pool:
        decoded = dict(zip(names, pool.map(decode_speaker, jobs)))
    by_path = {u[0]: clip for n in names for u, clip in zip(entries[n]["utterances"], decoded[n])}
    train = {n: decoded[n] for n in info["speakers"] if info["speakers"][n]["split"] == "train"}
    work.mkdir(parents=True, exist_ok=True)
    _save_train(work / "train.npz", train)
    if "noise__train" in decoded:
        _save_train(work / "noise.npz", {"noise": decoded["noise__train"]})
    recipes = _round_robin(info["valid_recipes"])  # any prefix (eval_limit, limit_val_batches) spans all conditions
    rendered = [_render(row, by_path) for row in recipes]
    torch.save({"items": [(clean, src) for clean, _, src in rendered],
                "items_noisy": [(noisy, src) for _, noisy, src in rendered],
                "conditions": [r["condition"] for r in recipes]}, work / "valid.pt")
    gen = torch.Generator().manual_seed(TRAIN_VOICE_SEED)
    mix, src = mix_batch(SourceBank(train), TRAIN_VOICE_MIXTURES, int(TRAIN_VOICE_SECONDS * info["sample_rate"]), gen)
    torch.save({"items": list(zip(mix, src))}, work / "train_voices.pt")
    return {"train_speakers": len(train), "train_hours": round(sum(c.size for v in train.values() for c in v)
                                                                  / info["sample_rate"] / 3600, 3),
            "noise_clips": len(decoded.get("noise__train", [])), "valid_mixtures": len(rendered),
            "sample_rate": info["sample_rate"]}


def _round_robin(rows: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["condition"], []).append(row)
    parts = list(groups.values())
    return [part[i] for i in range(max(map(len, parts), default=0)) for part in parts if i < len(part)]


def _render(row: dict, by_path: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(clean mixture [T], noisy mixture [T], sources [2, T]) of one recipe row."""
    recipe = MixtureRecipe.from_row({k: v for k, v in row.items() if k != "condition"})
    signals = render(recipe, by_path.__getitem__)
    return (torch.from_numpy(signals["mix_clean"]), torch.from_numpy(signals["mix_both"]),
            torch.from_numpy(np.stack([signals["s1"], signals["s2"]])))


def _save_train(path: Path, train: dict[str, list[np.ndarray]]) -> None:
    arrays = {}
    for k, name in enumerate(sorted(train)):
        clips = train[name]
        arrays[f"audio_{k}"] = np.concatenate(clips)
        arrays[f"lengths_{k}"] = np.array([c.shape[0] for c in clips], dtype=np.int64)
    np.savez(path, names=np.array(sorted(train)), **arrays)


def load_train(path: Path) -> dict[str, list[np.ndarray]]:
    """Inverse of the ``train.npz`` (and ``noise.npz``) writer: speaker -> list of utterances."""
    data = np.load(path)
    out = {}
    for k, name in enumerate(data["names"].tolist()):
        audio, lengths = data[f"audio_{k}"], data[f"lengths_{k}"]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        out[name] = [audio[bounds[i]:bounds[i + 1]] for i in range(len(lengths))]
    return out
