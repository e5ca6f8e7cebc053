"""Equal-budget recipe controls: named variants trained on the same mixtures, steps and seed, as learning curves.

Each variant trains a static separator (at full width, or at the width it names) from scratch (plain AdamW
loop mirroring ``slimsep.training.module``: linear warm-up then cosine decay, gradient-norm clipping, negative PIT
SI-SDR) on one fixed list of dynamic-mixer training mixtures, and is scored every ``--eval-every`` steps by SI-SDRi on fixed
mixtures of training voices and of validation voices (the open corpus's dynamic mixer on its "train" and "valid"
speakers, other seeds). Results are appended per variant to ``<out>.json`` and drawn to ``<out>.png``, so variants
can be added in later calls. docs/training.md ("Recipe controls") has the results.

Usage: python scripts/recipe_controls.py --corpus corpus base stack_norm lr_2e-3
       python scripts/recipe_controls.py --list
"""
from __future__ import annotations

import argparse
import contextlib
import json  # noqa: I001 (the audio-library stubs must precede slimsep's imports)
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch


def _stub_missing_audio_libs() -> None:
    """A GPU machine without soundfile/soxr can still run the controls from a pack (which never calls them)."""
    import importlib.util
    import sys
    import types

    for name in ("soundfile", "soxr"):
        if importlib.util.find_spec(name) is None:
            sys.modules[name] = types.ModuleType(name)


_stub_missing_audio_libs()

from slimsep.errors import OutputExistsError, SlimsepError
from slimsep.losses import pit_si_sdr, si_sdr
from slimsep.models import DSN, NAMED_CONFIGS, get_config, save_model
from slimsep.training.schedule import wsd_factor

_NEW = {"model": {"in_norm": "global"}, "optim": {"schedule": "constant", "warmup_steps": 200}}
# Conv-TasNet blocks inside each chunk (slimsep.models.conv_block), 2 inter heads of 64: 1.06 GMAC/s.
_CONV = {"in_norm": "global", "intra_type": "conv", "intra_layers": 4, "ffn_dim": 256, "n_heads": 2}

# DPRNN's BiLSTM across chunks (slimsep.models.rnn_block) after the transformer intra layers: 1.47 GMAC/s.
_LSTM = {"in_norm": "global", "inter_type": "lstm", "slim_inter": False, "inter_layers": 1}

# One fixed female/male pair of studio voices, fully overlapped (the calibration controls below).
_PAIR = {"overlaps": [1.0], "speakers": ["asterisk_en_Allison", "asterisk_it_Carlo"]}

# name -> changes from the base: "model" (ModelConfig overrides of BASE_MODEL), "optim", "data", "net" (asteroid).
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "stack_norm": {"model": {"stack_norm": True, "final_norm": True}},
    "final_norm": {"model": {"final_norm": True}},
    "stack_norm_only": {"model": {"stack_norm": True}},
    "kernel16": {"model": {"kernel_size": 16}},
    "kernel16_chunk200": {"model": {"kernel_size": 16, "chunk_size": 200}},
    "deep_narrow": {"model": {"d_model": 96, "n_heads": 6, "ffn_dim": 384, "intra_layers": 3, "inter_layers": 3}},
    "wide_shallow": {"model": {"d_model": 192, "n_heads": 8, "ffn_dim": 768, "intra_layers": 1, "inter_layers": 1}},
    "lr_5e-4": {"optim": {"lr": 5e-4}},
    "lr_2e-3": {"optim": {"lr": 2e-3}},
    "lr_4e-3": {"optim": {"lr": 4e-3}},
    "no_warmup": {"optim": {"warmup_frac": 0.0}},
    "clip_1": {"optim": {"clip": 1.0}},
    "no_clip": {"optim": {"clip": 1e9}},
    "cap_30db": {"optim": {"cap_db": 30.0}},
    "norm_input": {"optim": {"normalise_input": True}},
    "clean_voices": {"data": {"speakers": "clean"}},
    "stack_norm_lr_2e-3": {"model": {"stack_norm": True, "final_norm": True}, "optim": {"lr": 2e-3}},
    "dprnn": {"net": "dprnn"},
    "global_norm": {"model": {"in_norm": "global"}},
    "global_norm_stack_norm": {"model": {"in_norm": "global", "stack_norm": True, "final_norm": True}},
    "global_norm_lr_2e-3": {"model": {"in_norm": "global"}, "optim": {"lr": 2e-3}},
    "global_norm_kernel16": {"model": {"in_norm": "global", "kernel_size": 16}},
    # Issue 25 (batch 4 x 4 s, Adam 1e-3 held constant after a 200-step warm-up, so a run extends to any length):
    # the mixtures (today's 1/3 fully overlapped vs all fully overlapped) and the backbone.
    "small_mix": {**_NEW, "data": {"overlaps": [1.0, 0.5, 0.25]}},
    "small_full": {**_NEW, "data": {"overlaps": [1.0]}},
    "small_lr2e-3_full": {**_NEW, "optim": {**_NEW["optim"], "lr": 2e-3}, "data": {"overlaps": [1.0]}},
    "small_h2_full": {**_NEW, "model": {"in_norm": "global", "n_heads": 2}, "data": {"overlaps": [1.0]}},
    "conv_full": {**_NEW, "model": {**_CONV}, "data": {"overlaps": [1.0]}},
    "conv_mix": {**_NEW, "model": {**_CONV}, "data": {"overlaps": [1.0, 0.5, 0.25]}},
    "small_kernel16_full": {**_NEW, "model": {"in_norm": "global", "kernel_size": 16}, "data": {"overlaps": [1.0]}},
    # The voices: every training voice but FOTAQ's 71 low-bitrate "speakers" (dialogue partners, so one actor may
    # sit under several names and meet himself in a mixture); uniform draws give them 57 % of the talkers.
    "small_clean_full": {**_NEW, "data": {"overlaps": [1.0], "speakers": "clean"}},
    # The same voices, talkers drawn in proportion to their speech in the pack (each clean voice capped at 10 min)
    # instead of uniformly per name: FOTAQ's 71 names hold 16 % of the pack's training minutes, so their share of
    # talker draws falls from 57 % to about 16 % while every voice stays in.
    "small_dur_full": {**_NEW, "data": {"overlaps": [1.0], "weighting": "duration"}},
    # The voices, on today's `small` (conv intra layers): clean voices only, and every voice at a random speed in
    # 0.8-1.25 (pitch and formants move together, about +-4 semitones: more virtual talkers from the same voices;
    # the campaign's 0.9-1.1 validated +0.3 dB in CPU continuations, docs/data.md).
    "conv_clean_full": {**_NEW, "model": {**_CONV}, "data": {"overlaps": [1.0], "speakers": "clean"}},
    "conv_speed_full": {**_NEW, "model": {**_CONV}, "data": {"overlaps": [1.0], "speed": [0.8, 1.25]}},
    # Static baselines of today's `small` for the campaign's trade-off curve (issue 27): conv_full's recipe, mixtures
    # and seed, but the network trained alone at width 1/2 or 1/4 (every layer's sliced weights, as
    # `stage: static` with `static.width`), so they compare with the DSN's stage 0 step for step.
    "conv_full_w0.5": {**_NEW, "model": {**_CONV}, "width": 0.5, "data": {"overlaps": [1.0]}},
    "conv_full_w0.25": {**_NEW, "model": {**_CONV}, "width": 0.25, "data": {"overlaps": [1.0]}},
    # The optimiser, not the data: the same network fitting a fixed pool of 64 training mixtures, drawn again and
    # again. A separator that learns normally memorises them (training SI-SDR far above the evaluation sets') within
    # a few hundred steps; one that cannot fit 64 mixtures is held back by its optimisation, not by the voices.
    "small_pool64_full": {**_NEW, "data": {"overlaps": [1.0], "pool": 64}},
    # The same with 4 mixtures (one batch, every step): fitting them is pure optimisation; a network and loss that
    # work drive their training SI-SDR far up within a few hundred steps. The peer gives the pace to expect.
    "small_pool4_full": {**_NEW, "data": {"overlaps": [1.0], "pool": 4}},
    "dprnn_pool4_full": {**_NEW, "net": "dprnn", "data": {"overlaps": [1.0], "pool": 4}},
    # The batch: 1 mixture per step (SpeechBrain's DPRNN and SepFormer recipes), so 4x the updates per mixture and,
    # on a CPU, about 4x per CPU second. Compare per CPU minute; run with --steps and --eval-every 4x larger.
    # The calibration: one fixed female/male pair of studio voices (speaker-dependent separation, which a separator
    # that learns normally finds easy). Its training SI-SDR says whether the network and optimiser can learn at
    # all at this pace; its scores on the fixed sets of other voices mean little.
    "small_pair_full": {**_NEW, "data": _PAIR},
    # The same calibration for the peer: whether asteroid's DPRNN learns the pair faster than `small` does.
    "dprnn_pair_full": {**_NEW, "net": "dprnn", "data": _PAIR},
    "small_full_b1": {**_NEW, "batch": 1, "data": {"overlaps": [1.0]}},
    "lstm_full": {**_NEW, "model": {**_LSTM}, "data": {"overlaps": [1.0]}},
    "conv_lstm_full": {**_NEW, "model": {**_CONV, **_LSTM}, "data": {"overlaps": [1.0]}},
    # Peers (asteroid, experiment-only; see AsteroidNet), same recipe and mixtures.
    "dprnn_full": {**_NEW, "net": "dprnn", "data": {"overlaps": [1.0]}},
    "sudormrf_full": {**_NEW, "net": "sudormrf", "data": {"overlaps": [1.0]}},
}
# `small` as it was before these controls (the shipped model's separator). The DSN variants build on the named config
# "small_transformer" (what "small" named until 2026-12-06), so their saved states and curves stay comparable.
BASE_CONFIG, BASE_MODEL = "small_transformer", {"in_norm": "frame"}
OPTIM = {"lr": 1e-3, "warmup_frac": 0.1, "min_lr_ratio": 0.05, "clip": 5.0, "cap_db": None, "normalise_input": False,
         "schedule": "cosine", "warmup_steps": None}
FULL_OVERLAP = (1.0,)
DEFAULT_OUT = Path("docs/figures/recipe_controls")


def clean_speakers(names: list[str]) -> list[str]:
    """Studio and game voices recorded cleanly: everything but the 16 kbit/s FOTAQ lines (docs/corpora.md)."""
    return [n for n in names if not n.startswith("fotaq_")]


def mu_law(x: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> int8 (ITU G.711 mu = 255 curve): half the bytes of int16 for the portable pack."""
    y = np.sign(x) * np.log1p(255 * np.minimum(np.abs(x), 1)) / np.log(256)
    return np.round(y * 127).astype(np.int8)


def mu_law_inverse(q: np.ndarray) -> np.ndarray:
    y = q.astype(np.float32) / 127
    return (np.sign(y) * np.expm1(np.abs(y) * np.log(256)) / 255).astype(np.float32)


def make_pack(corpus: Path, pack: Path, cap_minutes: float, n_eval: int, eval_seconds: float) -> None:
    """A self-contained copy of the corpus's speech for machines without the corpus or soundfile: every
    training and validation utterance (each clean voice capped at ``cap_minutes``), mu-law int8, one
    manifest, plus the two fixed evaluation sets (built here by the project's dynamic mixer)."""
    import csv

    from slimsep.data.conditions import audio_loader

    load, rows, audio, minutes = audio_loader(corpus), [], {}, {}
    with open(corpus / "manifest.csv", newline="") as f:
        for row in csv.DictReader(f):
            if not row["speaker"] or row["split"] not in ("train", "valid"):
                continue
            spk = row["speaker"]
            if minutes.get(spk, 0.0) >= cap_minutes and not spk.startswith("fotaq_"):
                continue
            minutes[spk] = minutes.get(spk, 0.0) + int(row["samples"]) / 8000 / 60
            audio[f"a{len(rows)}"] = mu_law(load(row["path"]))
            rows.append({**row, "path": f"a{len(rows)}"})
    pack.mkdir(parents=True, exist_ok=True)
    with open(pack / "manifest.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    np.savez_compressed(pack / "audio.npz", **audio)
    for split, seed in (("train", 12345), ("valid", 54321)):
        mix, ref = _mixtures(corpus, split, n_eval, eval_seconds, seed, "all", load=None)
        torch.save(ref.half(), pack / f"eval_{split}.pt")
        mix, ref = _mixtures(corpus, split, n_eval, eval_seconds, seed, "all", load=None, overlaps=FULL_OVERLAP)
        torch.save(ref.half(), pack / f"eval_{split}_full.pt")
    print(f"{pack}: {len(rows)} utterances, {sum(minutes.values()):.0f} min")


def _mixtures(root: Path, split: str, n: int, seconds: float, seed: int, speakers: str, load,  # noqa: ANN001
              overlaps: tuple[float, ...] = (1.0, 0.5, 0.25)) -> tuple:
    """``n`` dynamic-mixer mixtures [n, T] and sources [n, 2, T] (clean task) from ``root`` (a corpus or a pack,
    whose audio ``load`` reads)."""
    data = mixer(root, split, n, seconds, seed, speakers, load, overlaps)
    items = [data[i] for i in range(n)]
    return torch.stack([m for m, _ in items]), torch.stack([s for _, s in items])


def mixer(root: Path, split: str, n: int, seconds: float, seed: int, speakers: str, load,  # noqa: ANN001
          overlaps: tuple[float, ...], weighting: str = "uniform", speed: tuple[float, float] | None = None):  # noqa: ANN201
    """The project's dynamic mixer on ``split``'s speakers (clean task): item i is one fixed mixture.
    ``speakers``: "all", "clean" (:func:`clean_speakers`) or a list of speaker names. ``weighting``: the mixer's
    ``speaker_weighting`` (uniform per speaker name, or in proportion to duration). ``speed``: the mixer's
    ``speed_range`` (each talker at a random speed in it; None: off)."""
    from slimsep.data.dynamic_mix import DynamicMixDataset

    data = DynamicMixDataset(root, split, segment=seconds, n_items=n, task="sep_clean", seed=seed,
                             overlaps=tuple(overlaps), load=load, speaker_weighting=weighting,
                             speed_range=tuple(speed) if speed else None)
    if speakers != "all":
        from slimsep.data.pools import speaker_probabilities

        keep = clean_speakers(list(data.speakers)) if speakers == "clean" else list(speakers)
        missing = sorted(set(keep) - set(data.speakers))
        if missing or len(keep) < 2:
            raise SystemExit(f"{root}: speakers {', '.join(missing) or keep} not in the {split} split (need two)")
        data.speakers = {k: v for k, v in data.speakers.items() if k in keep}
        data.speaker_p = speaker_probabilities(data.speakers, weighting)
    return data


def pack_loader(pack: Path):  # noqa: ANN201
    with np.load(pack / "audio.npz") as z:
        audio = {k: mu_law_inverse(z[k]) for k in z.files}
    return audio.__getitem__


def train_sources(pack: Path, n: int, seconds: float, seed: int, speakers: str, workers: int) -> torch.Tensor:
    """Sources [n, 2, T] (float16) of the training mixtures; the mixture is their sum."""
    load = pack_loader(pack)
    if workers <= 1:
        return _mixtures(pack, "train", n, seconds, seed, speakers, load)[1].half()
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as ex:
        parts = list(ex.map(_train_part, [(pack, n, seconds, seed, speakers, k, workers) for k in range(workers)]))
    out = torch.empty(n, *parts[0].shape[1:], dtype=torch.float16)
    for k, part in enumerate(parts):
        out[k::workers] = part
    return out


def _train_part(job: tuple) -> torch.Tensor:
    pack, n, seconds, seed, speakers, k, workers = job
    data = mixer(pack, "train", n, seconds, seed, speakers, pack_loader(pack), (1.0, 0.5, 0.25))
    return torch.stack([data[i][1] for i in range(k, n, workers)]).half()


def cached(cache: Path, key: str, build) -> torch.Tensor:  # noqa: ANN001
    path = cache / f"{key}.pt"
    if path.is_file():
        return torch.load(path, mmap=True, weights_only=True)
    out = build()
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(out, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").rename(path)
    return out


class AsteroidNet(torch.nn.Module):
    """asteroid's peer separators (experiment-only controls) with slimsep's call convention: [B, T] -> [B, 2, T].

    ``dprnn``: DPRNNTasNet near `small`'s MACs (~1.7 vs 1.55 GMAC/s, LSTMs counted by hand): 2 blocks of BiLSTMs
    with 128 units. ``sudormrf``: SuDORMRFNet at 0.25x of the paper's size (Tzinis et al. 2020: 512 basis
    filters of 21 samples, 128 bottleneck channels, 4 U-ConvBlocks instead of 16).
    """

    def __init__(self, kind: str = "dprnn") -> None:
        super().__init__()
        if kind == "sudormrf":
            from asteroid.models import SuDORMRFNet

            self.net = SuDORMRFNet(n_src=2, bn_chan=128, num_blocks=4, upsampling_depth=4, kernel_size=21,
                                   n_filters=512, sample_rate=8000)
            return
        from asteroid.models import DPRNNTasNet

        self.net = DPRNNTasNet(n_src=2, n_filters=64, kernel_size=16, bn_chan=64, hid_size=128, chunk_size=100,
                               n_repeats=2, sample_rate=8000)

    def forward(self, mix: torch.Tensor, width: float = 1.0) -> torch.Tensor:
        return self.net(mix)[..., : mix.shape[-1]]


def build_net(variant: dict) -> torch.nn.Module:
    if variant.get("net") in ("dprnn", "sudormrf"):
        return AsteroidNet(variant["net"])
    if "config" in variant:  # a named config as it stands (benchmarks/learning_curve.py)
        model = DSN(get_config(variant["config"], **variant.get("model", {})))
    else:
        model = DSN(get_config(BASE_CONFIG, **{**BASE_MODEL, **variant.get("model", {})}))

    width = variant_width(variant)

    def forward(mix: torch.Tensor) -> torch.Tensor:
        return model(mix, width).estimates
    model.separate = forward
    return model


def separate(net: torch.nn.Module, mix: torch.Tensor, normalise: bool) -> torch.Tensor:
    scale = mix.std(-1, keepdim=True).clamp_min(1e-4) if normalise else torch.ones_like(mix[:, :1])
    out = net.separate(mix / scale) if hasattr(net, "separate") else net(mix / scale)
    return out * scale[:, None]


def lr_factor(step: int, total: int, o: dict, cooldown: int = 0) -> float:
    """``cosine``: linear warm-up over ``warmup_frac`` of the steps, then cosine decay to ``min_lr_ratio`` (as the
    trainer). ``constant``: linear warm-up over ``warmup_steps``, then the peak rate with no end step, so a run
    can be extended (the warm-up-stable part of a warmup-stable-decay schedule); ``cooldown`` > 0 adds the decay,
    linear to 0 over the last ``cooldown`` of ``total`` steps (the trainer's ``optim.decay_steps``)."""
    if o["schedule"] == "constant":
        start = total - cooldown if cooldown else None
        return wsd_factor(step, max(1, o["warmup_steps"]), start, cooldown)
    warm = int(o["warmup_frac"] * total)
    if step < warm:
        return (step + 1) / warm
    frac = min(1.0, (step - warm) / max(1, total - warm))
    return o["min_lr_ratio"] + (1 - o["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * frac))


@torch.no_grad()
def score(net: torch.nn.Module, mix: torch.Tensor, ref: torch.Tensor, normalise: bool) -> float:
    """Mean SI-SDRi [dB] over fixed mixtures, a few at a time."""
    net.eval()
    out = []
    for i in range(0, len(mix), 8):
        est = separate(net, mix[i:i + 8], normalise)
        s, _ = pit_si_sdr(est, ref[i:i + 8])
        out.append(s - si_sdr(mix[i:i + 8, None].expand_as(ref[i:i + 8]), ref[i:i + 8]).mean(-1))
    net.train()
    return float(torch.cat(out).mean())


class WeightEMA:
    """An exponential moving average of a network's state, ``avg <- decay * avg + (1 - decay) * w`` per step (the
    campaign's ``optim.ema_decay``, slimsep.training.ema). Kept as tensors rather than torch's ``AveragedModel``:
    that deep-copies the network, and the copy's ``separate`` would still call the original's weights."""

    def __init__(self, net: torch.nn.Module, decay: float, state: dict | None = None) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.avg = state if state is not None else {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        for key, value in net.state_dict().items():
            if value.is_floating_point():
                self.avg[key].lerp_(value, 1.0 - self.decay)
            else:
                self.avg[key].copy_(value)

    @contextlib.contextmanager
    def applied(self, net: torch.nn.Module):  # noqa: ANN201
        """``net`` holds the average inside the block and its own weights again after it."""
        raw = {k: v.detach().clone() for k, v in net.state_dict().items()}
        net.load_state_dict(self.avg)
        try:
            yield net
        finally:
            net.load_state_dict(raw)


def run_variant(name: str, args: argparse.Namespace, draw, evals: dict) -> dict:  # noqa: ANN001
    """Train variant ``name`` on batches ``draw(step)`` -> sources [B, 2, T], scoring ``evals`` on the way.

    With ``--ckpt-dir`` the run saves its state every ``--ckpt-seconds`` and continues from it when started again
    (also with a larger ``--steps``: the constant schedule has no end step). ``cpu_s`` is this process's CPU time,
    which other processes sharing the machine barely change, so curves per CPU minute compare across runs.
    With ``--ema-decay`` the curve also scores an EMA of the weights (keys ``<set>_ema``); a run resumed from a
    state without one starts its average there (``ema_from``).
    """
    variant, dev = VARIANTS[name], torch.device(args.device)
    o = variant_optim(variant)
    torch.manual_seed(args.seed)
    net = build_net(variant).to(dev)
    params = [p for n, p in net.named_parameters() if not n.startswith("gates.")]
    opt = torch.optim.AdamW(params, lr=o["lr"], weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, args.steps, o, getattr(args, "cooldown", 0)))
    evals = {k: v.float().to(dev) for k, v in evals.items()}
    curve: dict[str, list] = {"step": [], "cpu_s": [], "wall_s": [], **{k: [] for k in evals}, "train_loss": []}
    ckpt = args.ckpt_dir / f"{name}.pt" if args.ckpt_dir else None
    first, spent, state = 0, (0.0, 0.0), {}
    if ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, weights_only=True)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        curve, first, spent = state["curve"], state["step"], tuple(state["spent"])
        print(f"{name}: resumed at step {first}", flush=True)
    ema = None
    if getattr(args, "ema_decay", 0.0):
        saved_avg = state.get("ema")
        ema = WeightEMA(net, args.ema_decay, saved_avg)
        if saved_avg is None:
            curve["ema_from"], curve["ema_decay"] = first, args.ema_decay
            curve.update({f"{k}_ema": [None] * len(curve["step"]) for k in evals})
    curve["batch"] = variant_batch(args, variant)  # mixtures per step, for the report's "mixtures" column
    losses, cpu0, wall0, saved = [], time.process_time() - spent[0], time.time() - spent[1], time.time()
    autocast = torch.autocast(dev.type, torch.bfloat16, enabled=args.precision == "bf16")
    for step in range(first, args.steps + 1):
        out_of_time = args.max_seconds and time.time() - wall0 > args.max_seconds
        if (step % args.eval_every == 0 or step == args.steps or out_of_time) and step not in curve["step"][-1:]:
            curve["step"].append(step)
            curve["cpu_s"].append(round(time.process_time() - cpu0, 1))
            curve["wall_s"].append(round(time.time() - wall0, 1))
            for key, ref in evals.items():
                with autocast:
                    curve[key].append(round(score(net, ref.sum(1), ref, o["normalise_input"]), 3))
                if ema is not None:
                    with autocast, ema.applied(net):
                        curve[f"{key}_ema"].append(round(score(net, ref.sum(1), ref, o["normalise_input"]), 3))
            curve["train_loss"].append(round(float(np.mean(losses)), 3) if losses else None)
            losses = []
            print(f"{name} step {step}: " + ", ".join(f"{k} {curve[k][-1]:.2f} dB" for k in evals)
                  + "".join(f", {k} EMA {curve[k + '_ema'][-1]:.2f} dB" for k in evals if ema is not None)
                  + f" ({curve['cpu_s'][-1]:.0f} CPU s)", flush=True)
        if ckpt is not None and (time.time() - saved > args.ckpt_seconds or step == args.steps or out_of_time):
            _save_state(ckpt, net, opt, sched, curve, step, (time.process_time() - cpu0, time.time() - wall0),
                        ema.avg if ema is not None else None, args)
            saved = time.time()
        if step == args.steps or out_of_time:
            break
        ref = draw(step).to(dev).float()
        with autocast:
            est = separate(net, ref.sum(1), o["normalise_input"]).float()
        s = si_sdr(est.unsqueeze(2), ref.unsqueeze(1), cap_db=o["cap_db"])  # [B, est, ref]
        loss = -torch.maximum(s[:, 0, 0] + s[:, 1, 1], s[:, 0, 1] + s[:, 1, 0]).mean() / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, o["clip"])
        opt.step()
        sched.step()
        if ema is not None:
            ema.update(net)
        losses.append(-loss.item())
    return {"variant": variant, "optim": o, "params": sum(p.numel() for p in params),
            "seconds": round(time.time() - wall0, 1), "device": args.device, "steps": args.steps,
            "batch": variant_batch(args, variant), "segment": args.segment, "seed": args.seed, "threads": args.threads,
            "precision": args.precision, **curve}


RUN_OPTIONS = ("steps", "cooldown", "batch", "segment", "seed", "precision", "ema_decay")


def _save_state(path: Path, net: torch.nn.Module, opt, sched, curve: dict, step: int,  # noqa: ANN001
                spent: tuple[float, float], ema: dict | None = None, args: argparse.Namespace | None = None) -> None:
    """Atomically (a kill mid-write leaves the previous state whole); with ``args``, the run's options
    (``RUN_OPTIONS``) go with it, so an exported model file can say how it was trained."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    extra = {} if ema is None else {"ema": ema}
    if args is not None:
        extra["run_options"] = {k: getattr(args, k) for k in RUN_OPTIONS if hasattr(args, k)}
    torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "curve": curve,
                "step": step, "spent": list(spent), **extra}, tmp)
    tmp.replace(path)


def streaming_draws(args: argparse.Namespace, variant: dict):  # noqa: ANN201
    """Batch k = dynamic-mixer items k*B .. (k+1)*B - 1 of the pack's training speakers: every variant with the
    same data settings sees the same mixtures in the same order, drawn as it goes (no cache to build). A ``pool``
    in the variant's data cycles over its first ``pool`` items instead (the memorisation control)."""
    d = variant.get("data", {})
    data = mixer(args.pack, "train", 10 ** 9, args.segment, args.seed, d.get("speakers", "all"),
                 pack_loader(args.pack), tuple(d.get("overlaps", (1.0, 0.5, 0.25))), d.get("weighting", "uniform"),
                 d.get("speed"))
    batch, pool = variant_batch(args, variant), d.get("pool")
    return lambda k: torch.stack([data[i % pool if pool else i][1] for i in range(k * batch, (k + 1) * batch)])


def variant_optim(variant: dict) -> dict:
    """The optimiser settings of ``variant``: ``OPTIM`` with the variant's changes."""
    return {**OPTIM, **variant.get("optim", {})}


def variant_width(variant: dict) -> float:
    """The one width ``variant`` trains and runs at: a static baseline's ``width``, else full width."""
    return float(variant.get("width", 1.0))


def variant_batch(args: argparse.Namespace, variant: dict) -> int:
    """Mixtures per step: the variant's ``batch`` where it sets one (the batch-size controls), else ``--batch``. A
    smaller batch sees the same mixtures in the same order, over more steps."""
    return int(variant.get("batch", args.batch))


def plot(results: dict, path: Path) -> None:
    """SI-SDRi on both voice sets against the step and, where the curves have CPU time, against CPU minutes."""
    try:
        import matplotlib
    except ImportError:  # a bare GPU machine: plot later from the JSON
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes_x = [("step", "step")] + ([("cpu_s", "CPU minutes (one thread)")]
                                    if any("cpu_s" in r for r in results.values()) else [])
    fig, axes = plt.subplots(len(axes_x), 2, figsize=(11, 4 * len(axes_x)), sharey=True, squeeze=False)
    for row, (xkey, xlabel) in zip(axes, axes_x):
        for ax, key, title in zip(row, ("train_voices", "valid_voices"), ("training voices", "validation voices")):
            for name, r in results.items():  # step 0 (untrained, about -26 dB) left out: it would squash the rest
                if xkey not in r:
                    continue
                scale = 60.0 if xkey == "cpu_s" else 1.0
                points = [(x / scale, v) for s, x, v in zip(r["step"], r[xkey], r[key]) if s > 0]
                color = plt.cm.tab20(list(results).index(name) % 20)
                if points:
                    ax.plot(*zip(*points), marker=".", label=name, lw=2 if name == "base" else 1, color=color)
                averaged = [(x / scale, v) for s, x, v in zip(r["step"], r[xkey], r.get(f"{key}_ema", []))
                            if s > 0 and v is not None]
                if averaged:
                    ax.plot(*zip(*averaged), marker=".", ls="--", label=f"{name} (EMA)", lw=1, color=color)
            ax.set(title=f"SI-SDRi on {title}", xlabel=xlabel, ylabel="dB")
            ax.grid(alpha=0.3)
        row[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*")
    parser.add_argument("--list", action="store_true", help="print the variants and exit")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--make-pack", action="store_true", help="build --pack from --corpus and exit")
    parser.add_argument("--pack", type=Path, default=Path("runs/recipe_pack"), help="speech pack (see make_pack)")
    parser.add_argument("--cap-minutes", type=float, default=10.0, help="pack: minutes kept per clean voice")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--segment", type=float, default=2.0, help="training crop [s]")
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--n-eval", type=int, default=30, help="mixtures per evaluation set (pack)")
    parser.add_argument("--eval-seconds", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=1, help="processes that draw the training mixtures")
    parser.add_argument("--parallel", action="store_true", help="one process per variant (a GPU shares them)")
    parser.add_argument("--max-seconds", type=float, default=0.0, help="stop a variant early (0: never)")
    parser.add_argument("--ckpt-dir", type=Path, default=None, help="save and resume each variant's state here")
    parser.add_argument("--ckpt-seconds", type=float, default=300.0, help="seconds between saved states")
    parser.add_argument("--report", action="store_true",
                        help="print the curves saved in --ckpt-dir as a table (runs still going included) and exit")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32", help="bf16: autocast")
    parser.add_argument("--score", type=Path, nargs="+", default=None, metavar="MODEL",
                        help="score model files (full width) on the pack's fixed fully overlapped sets and exit")
    parser.add_argument("--ema-decay", type=float, default=0.0,
                        help="also score an EMA of the weights with this decay, e.g. 0.999 (default: 0, none)")
    parser.add_argument("--cooldown", type=int, default=0, metavar="N",
                        help="constant schedule: fall linearly to 0 over the last N of --steps (warmup-stable-decay)")
    parser.add_argument("--export", type=Path, default=None, metavar="OUT.pt",
                        help="write the saved state (in --ckpt-dir) of the one variant named as the positional "
                             "argument as a float16 slimsep model file OUT.pt and exit: the EMA weights (the run "
                             "needs --ema-decay; --raw for the raw ones), at the variant's width (conv_full_w0.5: "
                             "1/2); slimsep variants only, not the asteroid peers dprnn_* and sudormrf_*")
    parser.add_argument("--raw", action="store_true", help="--export: the raw weights instead of their EMA")
    parser.add_argument("--overwrite", action="store_true", help="--export: replace an existing model file")
    parser.add_argument("--cache", type=Path, default=Path("runs/recipe_controls_cache"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.make_pack:
        make_pack(args.corpus, args.pack, args.cap_minutes, args.n_eval, args.eval_seconds)
        return
    if args.score:
        torch.set_num_threads(args.threads)
        print(score_models(args.score, args.pack))
        return
    if args.export:
        try:
            print(export_model(args.variants, args.ckpt_dir, args.export, args.raw, args.overwrite))
        except SlimsepError as exc:
            raise SystemExit(f"error: {exc}") from None
        return
    if args.report:
        print(curve_table(args.ckpt_dir, args.variants, args.batch))
        if args.out != DEFAULT_OUT:  # the curves so far as JSON and figure
            curves = saved_curves(args.ckpt_dir, args.variants)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.with_suffix(".json").write_text(json.dumps(curves, indent=1))
            plot(curves, args.out.with_suffix(".png"))
        return
    if args.list or not args.variants:
        print("\n".join(f"{k}: {v}" for k, v in VARIANTS.items()))
        return
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; --list shows them")
    torch.set_num_threads(args.threads)
    n = args.steps * args.batch
    old = [v for v in args.variants if "overlaps" not in VARIANTS[v].get("data", {})]
    for speakers in sorted({VARIANTS[v].get("data", {}).get("speakers", "all") for v in old}):
        cached(args.cache, f"train_{speakers}_{n}_{args.segment}_{args.seed}",
               lambda: train_sources(args.pack, n, args.segment, args.seed, speakers, args.workers))
    if args.parallel and len(args.variants) > 1:
        return run_parallel(args)
    json_path = args.out.with_suffix(".json")
    for name in args.variants:
        result = run_variant(name, args, batch_source(args, name), eval_sets(args, name))
        results = json.loads(json_path.read_text()) if json_path.is_file() else {}
        results[name] = result
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=1))
        plot(results, args.out.with_suffix(".png"))


def export_model(names: list[str], ckpt_dir: Path | None, out: Path, raw: bool = False,
                 overwrite: bool = False) -> str:
    """Write the saved state of DSN variant ``names[0]`` as a float16 slimsep model file ``out``; returns a line.

    Why: a control trained from scratch is the first phase of a campaign network (issue 27), so its weights go on
    with ``slimsep train --set init_from=out``. The weights are the state's EMA (the average the campaign
    evaluates) unless ``raw``. The metadata says stage "static" at the variant's width (``recipe.static.width``, what
    ``slimsep evaluate`` and ``separate`` run it at) with the control's steps as the
    lineage, the variant's recipe, and the last scores of the curve [dB SI-SDRi].

    Raises:
        SlimsepError: not exactly one variant, an asteroid peer (not a DSN), no saved state, no EMA in it, ``out``
            a folder (``slimsep.atomic``), or ``out`` existing without ``overwrite``.
    """
    if len(names) != 1 or names[0] not in VARIANTS:
        raise SlimsepError(f"--export takes exactly one known variant, got {' '.join(names) or 'none'}")
    name, variant = names[0], VARIANTS[names[0]]
    if "net" in variant:
        raise SlimsepError(f"{name} is asteroid's {variant['net']}, not a DSN: it has no slimsep model file")
    if ckpt_dir is None:
        raise SlimsepError("--export needs --ckpt-dir, the folder the run saved its state in")
    path = ckpt_dir / f"{name}.pt"
    if not path.is_file():
        raise SlimsepError(f"{path}: no saved state of {name} there")
    if out.exists() and not overwrite:
        raise OutputExistsError(out, "--overwrite")
    state = torch.load(path, weights_only=True)
    if not raw and "ema" not in state:
        raise SlimsepError(f"{path}: the run kept no EMA (--ema-decay); pass --raw for its raw weights")
    net = build_net(variant)
    net.load_state_dict(state["net"] if raw else state["ema"])
    net.cfg = net.cfg.replace(name=named_config(net.cfg) or name)
    curve, key = state["curve"], "" if raw else "_ema"
    scores = {k: curve[f"{k}{key}"][-1] for k in ("train_voices", "valid_voices") if f"{k}{key}" in curve}
    meta = {"stage": "static", "steps": state["step"], "total_steps": state["step"],
            "lineage": [{"stage": "static", "steps": state["step"]}], "averaged": not raw,
            "recipe": {"control": name, "variant": variant, "optim": variant_optim(variant),
                       "data": "the recipe pack's dynamic mixer: clean task, batch of the curve, open corpus "
                               "training voices", "batch": curve.get("batch"),
                       "static": {"width": variant_width(variant)}},
            "control_scores_db": scores, "cpu_s": curve["cpu_s"][-1] if curve["cpu_s"] else None,
            # the rate at the last step (a cool-down ends near 0) and, for states saved since 2026-12-06, the options
            "final_lr": state["sched"].get("_last_lr", [None])[0], "run_options": state.get("run_options", {})}
    save_model(net, out, metadata=meta, half=True)
    return f"{out}: {name} at step {state['step']} ({'raw' if raw else 'EMA'} weights), last scores {scores}"


def named_config(cfg) -> str | None:  # noqa: ANN001 (a ModelConfig)
    """The named config (``NAMED_CONFIGS``) that ``cfg`` is, whatever its ``name`` says; None if it is none."""
    plain = {**cfg.to_dict(), "name": None}
    return next((n for n in NAMED_CONFIGS if {**get_config(n).to_dict(), "name": None} == plain), None)


def saved_curves(ckpt_dir: Path, names: list[str]) -> dict[str, dict]:
    """The curves in the saved states of ``names`` (every state in ``ckpt_dir`` when empty), runs still going
    included."""
    paths = [ckpt_dir / f"{n}.pt" for n in names] if names else sorted(ckpt_dir.glob("*.pt"))
    return {p.stem: torch.load(p, weights_only=True)["curve"] for p in paths}


def curve_table(ckpt_dir: Path, names: list[str], batch: int = 4) -> str:
    """:func:`saved_curves` as one markdown table: step, mixtures seen (steps times the run's batch; ``batch`` for
    states saved before runs recorded theirs), CPU minutes, SI-SDRi on the training and the validation voices, per
    variant; and, where a run kept one (``--ema-decay``), the same two for its EMA weights."""
    curves = saved_curves(ckpt_dir, names)
    ema = any("train_voices_ema" in c for c in curves.values())
    rows = [curve_table_rows(c, name, int(c.get("batch", VARIANTS.get(name, {}).get("batch", batch))), ema,
                             header=i == 0) for i, (name, c) in enumerate(curves.items())]
    return "\n".join(r for r in rows if r)


def curve_table_rows(curve: dict, name: str | None = None, per_step: int | None = None, ema: bool | None = None,
                     header: bool = True) -> str:
    """One run's curve as markdown rows (step 0, the untrained network, left out of named runs' tables). Scores
    missing from a row (the EMA before a resumed run started one) read "-"."""
    ema = "train_voices_ema" in curve if ema is None else ema
    per_step = per_step or int(curve.get("batch", 4))
    keys = ["train_voices", "valid_voices"] + (["train_voices_ema", "valid_voices_ema"] if ema else [])
    heads = ["SI-SDRi training voices [dB]", "SI-SDRi validation voices [dB]"]
    heads += [f"{h[:-5]}, EMA [dB]" for h in heads] if ema else []
    lead = (["variant"] if name else []) + ["step", "mixtures", "CPU minutes"]
    rows = ["| " + " | ".join(lead + heads) + " |", "|" + "---|" * bool(name) + "---:|" * (len(lead) - bool(name) + len(keys))]
    rows = rows if header else []
    for i, (step, cpu) in enumerate(zip(curve["step"], curve["cpu_s"])):
        if name and not step:
            continue
        values = [(curve.get(k) or [])[i:i + 1] for k in keys]
        cells = [f"{v[0]:.2f}" if v and v[0] is not None else "-" for v in values]
        rows.append("| " + " | ".join(([name] if name else []) + [str(step), str(step * per_step), f"{cpu / 60:.0f}"]
                                      + cells) + " |")
    return "\n".join(rows)


def score_models(paths: list[Path], pack: Path) -> str:
    """SI-SDRi at full width of saved models (``slimsep snapshot`` or ``model.pt`` files) on the same fixed fully
    overlapped sets the controls score, as a markdown table: a campaign snapshot reads against their curves."""
    from slimsep.models.serialization import load_model_and_metadata

    sets = {k: torch.load(pack / f"eval_{k}_full.pt", weights_only=True).float() for k in ("train", "valid")}
    rows = ["| model | steps | SI-SDRi training voices [dB] | SI-SDRi validation voices [dB] |", "|---|---:|---:|---:|"]
    for path in paths:
        model, meta = load_model_and_metadata(path)
        model = model.float()
        model.separate = lambda mix, m=model: m(mix, 1.0).estimates
        values = [score(model, ref.sum(1), ref, False) for ref in sets.values()]
        steps = meta.get("total_steps", meta.get("steps", "?"))
        rows.append(f"| {path.name} | {steps} | {values[0]:.2f} | {values[1]:.2f} |")
    return "\n".join(rows)


def batch_source(args: argparse.Namespace, name: str):  # noqa: ANN201
    """``draw(step)`` -> sources [B, 2, T]: drawn as the run goes for variants that set ``data.overlaps`` (issue
    25's family), else rows of the cached list (the earlier controls)."""
    variant = VARIANTS[name]
    if "overlaps" in variant.get("data", {}):
        return streaming_draws(args, variant)
    speakers = variant.get("data", {}).get("speakers", "all")
    n = args.steps * args.batch
    sources = torch.load(args.cache / f"train_{speakers}_{n}_{args.segment}_{args.seed}.pt", mmap=True,
                         weights_only=True)
    return lambda k: sources[k * args.batch:(k + 1) * args.batch]


def eval_sets(args: argparse.Namespace, name: str) -> dict:
    """The fixed scoring sets: fully overlapped mixtures for issue 25's family (its targets are on those), the
    mixed-overlap sets for the earlier controls."""
    suffix = "_full" if "overlaps" in VARIANTS[name].get("data", {}) else ""
    return {f"{k}_voices": torch.load(args.pack / f"eval_{k}{suffix}.pt", weights_only=True)
            for k in ("train", "valid")}


def run_parallel(args: argparse.Namespace) -> None:
    """Every variant in its own process at once (each writes its own JSON), then one merged JSON and plot."""
    import subprocess
    import sys

    flags = [a for a in sys.argv[1:] if a not in args.variants and a != "--parallel"]
    procs = {}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.variants:
        out = args.out.parent / "parts" / name
        log = open(args.out.parent / f"{name}.log", "w")
        cmd = [sys.executable, __file__, name, *flags, "--out", str(out)]
        procs[name] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), out)
    json_path = args.out.with_suffix(".json")
    results = json.loads(json_path.read_text()) if json_path.is_file() else {}
    for name, (proc, out) in procs.items():
        proc.wait()
        part = out.with_suffix(".json")
        if part.is_file():
            results.update(json.loads(part.read_text()))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1))
    plot(results, args.out.with_suffix(".png"))


if __name__ == "__main__":
    main()
