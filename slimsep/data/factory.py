"""Build a dataset from a plain dict (the ``data:`` section of a training YAML, or CLI arguments).

One entry point keeps training, evaluation and the CLI independent of which corpus a user has: each corpus registers
a builder ``(spec, split) -> Dataset`` under its name, with the keys it reads (so a misspelt key in a config is an
error, not a silent default: slimsep.training.config).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch.utils.data import Dataset

from slimsep.data.synthetic import SyntheticSpec, SyntheticTwoTalker
from slimsep.errors import SlimsepError

Builder = Callable[[Mapping[str, Any], str], Dataset]
BUILDERS: dict[str, Builder] = {}
BUILDER_KEYS: dict[str, frozenset[str]] = {}  # corpus -> the ``data`` keys its builder reads ("corpus" included)


def register(name: str, keys: tuple[str, ...]) -> Callable[[Builder], Builder]:
    """Decorator that makes a builder available as ``corpus: <name>``; ``keys``: the spec keys it reads."""
    def wrap(builder: Builder) -> Builder:
        BUILDERS[name] = builder
        BUILDER_KEYS[name] = frozenset(("corpus", *keys))
        return builder
    return wrap


def build_dataset(spec: Mapping[str, Any], split: str) -> Dataset:
    """The ``split`` ("train", "valid" or "test") of the corpus that ``spec["corpus"]`` names."""
    corpus = spec.get("corpus")
    if corpus not in BUILDERS:
        raise SlimsepError(f"unknown corpus {corpus!r}; choose from {', '.join(sorted(BUILDERS))}")
    return BUILDERS[corpus](spec, split)


@register("synthetic", keys=("n_train", "n_valid", "n_test", "seconds", "sample_rate", "overlap", "lead_silence",
                             "noise_level", "seed"))
def _synthetic(spec: Mapping[str, Any], split: str) -> Dataset:
    """Generated two-talker signals; splits differ by seed. Keys: n_items, seconds, overlap, lead_silence."""
    offsets = {"train": 0, "valid": 1_000_000, "test": 2_000_000}
    if split not in offsets:
        raise SlimsepError(f"unknown split {split!r}; choose from train, valid, test")
    sizes = {"train": spec.get("n_train", 64), "valid": spec.get("n_valid", 8), "test": spec.get("n_test", 8)}
    shape = SyntheticSpec(seconds=spec.get("seconds", 2.0), sample_rate=spec.get("sample_rate", 8000),
                          overlap=spec.get("overlap", 1.0), lead_silence=spec.get("lead_silence", 0.0),
                          noise_level=spec.get("noise_level", 0.0))
    return SyntheticTwoTalker(int(sizes[split]), shape, seed=int(spec.get("seed", 0)) + offsets[split])


@register("open", keys=("root", "task", "segment", "n_items", "seed", "speaker_weighting", "speed_range",
                        "pitch_range", "gain_range", "mix_gain_range", "condition", "overlaps", "noise_activities",
                        "valid_split", "single_talker"))
def _open_corpus(spec: Mapping[str, Any], split: str) -> Dataset:
    """The open corpus: dynamic mixing for "train"; the simulated condition folders for "valid"/"test".

    Keys: root, task (sep_clean|sep_noisy), segment, n_items, seed, and for training only
    speaker_weighting (uniform|duration), speed_range ([low, high] speed factors), pitch_range ([low, high]
    semitones), gain_range ([low, high] dB per talker), mix_gain_range ([low, high] dB on the whole mixture) and
    overlaps (the talker-overlap ratios drawn from, default [1.0, 0.5, 0.25]; [1.0]: every mixture fully
    overlapped, as in wsj0-2mix and Libri2Mix "min") and noise_activities (sep_noisy: the shares of the mixture
    the noise covers, drawn from, default [0.0, 0.5, 1.0]; [0.0, 0.0, 0.5, 1.0] makes half the mixtures clean);
    condition (one folder name, else all); valid_split (the folder validation reads, default "valid"; corpus v3's
    read-speech voices: "valid_read").
    """
    from torch.utils.data import ConcatDataset, Subset

    from slimsep.data.conditions import find_conditions
    from slimsep.data.dynamic_mix import DynamicMixDataset

    root, task = spec["root"], spec.get("task", "sep_noisy")
    if split == "train":
        return DynamicMixDataset(root, "train", segment=spec.get("segment", 4.0), n_items=spec.get("n_items", 2000),
                                 task=task, seed=spec.get("seed", 0),
                                 speaker_weighting=spec.get("speaker_weighting", "uniform"),
                                 speed_range=spec.get("speed_range"), pitch_range=spec.get("pitch_range"),
                                 gain_range=spec.get("gain_range"), mix_gain_range=spec.get("mix_gain_range"),
                                 single_talker=spec.get("single_talker", 0.0),
                                 overlaps=check_ratios(spec.get("overlaps", (1.0, 0.5, 0.25)), "overlaps"),
                                 activities=check_ratios(spec.get("noise_activities", (0.0, 0.5, 1.0)),
                                                         "noise_activities", zero_ok=True))
    found = find_conditions(root, task=task, split=spec.get("valid_split", "valid") if split == "valid" else split)
    if spec.get("condition"):
        return found[spec["condition"]]
    parts = list(found.values())
    return Subset(ConcatDataset(parts), interleaved_order([len(p) for p in parts]))


def check_ratios(values: Any, key: str, zero_ok: bool = False) -> tuple[float, ...]:
    """``data.<key>``: a non-empty list of ratios in (0, 1] ([0, 1] with ``zero_ok``: a noise activity of 0 is a
    clean mixture, an overlap of 0 is no mixture); else a one-line SlimsepError."""
    try:
        ratios = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        ratios = ()
    if not ratios or not all((0.0 <= r if zero_ok else 0.0 < r) and r <= 1.0 for r in ratios):
        raise SlimsepError(f"config entry 'data.{key}' must be a list of ratios in {'[' if zero_ok else '('}0, 1], "
                           f"got {values!r}")
    return ratios


def check_sample_rate(dataset: Dataset, rate: int, label: str) -> None:
    """Refuse data whose audio is not at the model's ``rate`` (Hz), before any work: a model run at the wrong rate
    trains or scores without complaint on audio whose pitch and timing it never saw.

    File-backed sets (``PairedFilesDataset``) are judged by their first mixture's header (each file is checked
    against the set's own rate when read); generated and dynamically mixed sets by the rate they produce.
    Subsets, concatenations and wrappers (``.dataset``) are looked through. Raises SlimsepError naming ``label``.
    """
    from torch.utils.data import ConcatDataset

    from slimsep.audio import audio_info

    if isinstance(dataset, ConcatDataset):
        for part in dataset.datasets:
            check_sample_rate(part, rate, label)
        return
    if hasattr(dataset, "dataset"):
        return check_sample_rate(dataset.dataset, rate, label)
    items = getattr(dataset, "items", None)
    if items:
        found, where = audio_info(items[0][1]).samplerate, items[0][1]
    else:
        found = getattr(dataset, "sample_rate", None) or getattr(getattr(dataset, "spec", None), "sample_rate", None)
        where = label
    if found is not None and int(found) != int(rate):
        place = f"{where}: {label}" if where != label else label.capitalize()
        raise SlimsepError(f"{place} is at {found} Hz, the model runs at {rate} Hz; use data at {rate} Hz "
                           f"(or a model made for {found} Hz)")


def interleaved_order(sizes: list[int]) -> list[int]:
    """Indices into the concatenation of datasets of ``sizes``, round-robin across them.

    Any prefix then covers every condition, so ``limit_val_batches`` validates on all of them instead of the
    first (the hardest, fully overlapped) condition folders only.
    """
    offsets = [sum(sizes[:k]) for k in range(len(sizes))]
    return [offsets[k] + i for i in range(max(sizes, default=0)) for k in range(len(sizes)) if i < sizes[k]]
