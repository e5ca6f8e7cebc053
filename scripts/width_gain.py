"""Where does width help a slimmable network, and could its gates know? (issue 27's gate diagnosis)

For each mixture of a condition folder set (CORPUS/<split>/ov*_na*, as for `slimsep evaluate`), the network runs
at every static width; each chunk's segmental SNR q (the complexity loss's quality measure, in dB) is compared
across widths. Prints:

- mean q per width, and the gain of full width over the slimmest and over the middle width, by the number of
  active talkers in the chunk and by condition;
- the held-out R^2 of those gains, and of q at full width, from the first gate's input features and from the
  talker count (ridge regression, a third of the mixtures held out; the share of variance explained, 0 or less
  means not predictable): near 0 means no gate on those inputs can pick widths by difficulty, however it is
  trained;
- the complexity loss's weight at full width (--q0, --q-scale as in the gate config) and the correlation of the
  gain with q at full width (the quality that weight follows);
- with --gates: the gates' mean width (a fraction of full width, averaged over blocks) by talker count and by
  condition, and its correlation with the gain.

    python scripts/width_gain.py snapshots/campaign_conv_slimmable.pt --data CORPUS --split valid \\
        --task sep_noisy --limit 10 --gates runs/campaign_gate_day4_t0.6/model.pt
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from slimsep.errors import SlimsepError

MIN_MIXTURES_R2 = 30  # below this the held-out third is too small for R^2 to mean much


def main() -> None:
    parser = slimmable_data_parser(__doc__)
    parser.add_argument("--gates", help="a gated model trained on MODEL (same separator) whose widths to compare")
    parser.add_argument("--q0", type=float, default=8.0, help="the complexity loss's gate.q0 [dB] (default 8)")
    parser.add_argument("--q-scale", type=float, default=2.0, help="its gate.q_scale [dB] (default 2)")
    args = parser.parse_args()
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        profiles, widths = collect(args)
    except SlimsepError as exc:
        sys.exit(f"width_gain: {exc}")
    print(f"model {args.model}, gates {args.gates or '-'}, data {args.data} ({args.split}, {args.task}), "
          f"at most {args.limit} mixtures per condition")
    report(profiles, widths, args.q0, args.q_scale)


def slimmable_data_parser(doc: str) -> argparse.ArgumentParser:
    """The options this script shares with scripts/block_widths.py: a slimmable MODEL and a condition folder set."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a slimmable model file or shipped name (run at each of its widths)")
    parser.add_argument("--data", type=Path, required=True,
                        help="corpus root holding <split>/ov*_na* condition folders (or a folder of them)")
    parser.add_argument("--split", default="valid", help="sub-folder of --data (default: valid)")
    parser.add_argument("--task", default="sep_noisy", choices=["sep_clean", "sep_noisy"],
                        help="which mixtures to read (default: sep_noisy)")
    parser.add_argument("--limit", type=int, default=10, help="mixtures per condition (default 10)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    return parser


def load_slimmable(model_name: str, tool: str):
    """(model, path) of a model trained at several widths; SlimsepError naming the file for a static one."""
    from slimsep.inference.pretrained import resolve
    from slimsep.models.serialization import load_model_and_metadata

    path = resolve(model_name)
    model, meta = load_model_and_metadata(path)
    if len(model.cfg.widths) < 2 or meta.get("stage") == "static":
        raise SlimsepError(f"{path}: trained at one width (stage {meta.get('stage', 'static')}); {tool} needs a "
                           f"slimmable model (stage 1 or gates)")
    return model.eval(), path


def load_pair(model_name: str, gates_name: str | None):
    """(model, gated model or None), refusing what would make the numbers meaningless: a model trained at one
    width, or gates whose separator is not MODEL's. Raises SlimsepError naming the file."""
    import torch

    from slimsep.inference.pretrained import resolve
    from slimsep.models.serialization import load_model_and_metadata

    model, path = load_slimmable(model_name, "width_gain")
    if gates_name is None:
        return model, None
    gates_path = resolve(gates_name)
    gated, _ = load_model_and_metadata(gates_path)
    if gated.cfg.to_dict() != model.cfg.to_dict():
        raise SlimsepError(f"{gates_path}: its config differs from {path}'s; --gates must be trained on MODEL")
    own, theirs = model.state_dict(), gated.state_dict()
    if any(not torch.equal(own[k].float(), theirs[k].float()) for k in own if not k.startswith("gates.")):
        raise SlimsepError(f"{gates_path}: its separator weights differ from {path}'s; --gates must be gates "
                           f"trained on MODEL with the separator frozen")
    return model, gated.eval()


def collect(args: argparse.Namespace) -> tuple[dict[str, list], tuple[float, ...]]:
    """(condition -> [WidthProfile, ...], the model's widths)."""
    import torch

    from slimsep.data import find_conditions
    from slimsep.evaluation.width_gain import width_profile

    torch.set_num_threads(args.threads)
    model, gated = load_pair(args.model, args.gates)
    found = find_conditions(args.data, task=args.task, split=args.split, sample_rate=model.cfg.sample_rate)
    profiles = defaultdict(list)
    for condition, dataset in found.items():
        for i in range(min(args.limit, len(dataset))):
            mix, ref = dataset[i]
            profiles[condition].append(width_profile(model, mix, ref, gated))
    return profiles, model.cfg.widths


def report(profiles: dict[str, list], widths: tuple[float, ...], q0: float = 8.0, q_scale: float = 2.0) -> None:
    flat = [(cond, p) for cond, ps in profiles.items() for p in ps]
    q = np.concatenate([p.quality for _, p in flat])
    talkers = np.concatenate([p.talkers for _, p in flat])
    groups = np.concatenate([np.full(len(p.talkers), j) for j, (_, p) in enumerate(flat)])
    conds = np.concatenate([np.full(len(p.talkers), c) for c, p in flat])
    gate = np.concatenate([p.gate_width for _, p in flat]) if flat[0][1].gate_width is not None else None
    middle = [min(range(1, len(widths) - 1), key=lambda k: abs(widths[k] - 0.5))] if len(widths) > 2 else []
    slimmer = [0] + middle  # the slimmest width, and the one nearest 1/2 between it and full width
    gains = {f"gain 1 vs {widths[k]:g} [dB]": q[:, -1] - q[:, k] for k in slimmer}
    print(f"{len(flat)} mixtures, {len(q)} chunks. q: each chunk's segmental SNR [dB] at a static width "
          f"(slimsep.losses.chunk_quality); gain: q at full width minus q at a slimmer width")
    columns = [f"q@{w:g} [dB]" for w in widths] + list(gains) + (["gates' mean width"] if gate is not None else [])
    for title, keys in (("talkers active", talkers), ("condition", conds)):
        print("\n" + " | ".join([f"{title:>14}", "chunks"] + columns))
        for key in sorted(set(keys.tolist())):
            m = keys == key
            cells = [f"{v:{len(c)}.2f}" for v, c in zip(q[m].mean(0), columns)]
            cells += [f"{g[m].mean():{len(c)}.2f}" for g, c in zip(gains.values(), columns[len(widths):])]
            cells += [f"{gate[m].mean():{len(columns[-1])}.3f}"] if gate is not None else []
            print(" | ".join([f"{key!s:>14}", f"{m.sum():6d}"] + cells))
    speech = talkers > 0
    print_r2(flat, gains, q, talkers, groups, speech)
    import torch

    from slimsep.losses.complexity import easiness_weight

    weight = easiness_weight(torch.from_numpy(q[:, -1]), q0, q_scale).numpy()  # the loss's weight at full width
    print(f"\ncomplexity weight w = sigmoid((q - {q0:g}) / {q_scale:g}) at full width, mean over chunks with speech: "
          f"{weight[speech].mean():.3f} (one talker {weight[talkers == 1].mean():.3f}, both "
          f"{weight[talkers >= 2].mean():.3f}); q >= {q0:g} dB in {100 * np.mean(q[speech, -1] >= q0):.1f} % of them")
    gain = q[speech, -1] - q[speech, 0]
    print(f"spread over chunks with speech of the gain 1 vs {widths[0]:g}: mean {gain.mean():.2f} dB, "
          f"standard deviation {gain.std():.2f} dB")
    print(f"correlation over chunks with speech of the gain 1 vs {widths[0]:g} with q at full width: "
          f"{_corr(q[speech, -1], gain)}")
    if gate is not None:
        print(f"correlation over chunks with speech of the gates' width with the gain 1 vs {widths[0]:g}: "
              f"{_corr(gate[speech], gain)}; with q at full width: "
              f"{_corr(gate[speech], q[speech, -1])}")


def print_r2(flat: list, gains: dict[str, np.ndarray], q: np.ndarray, talkers: np.ndarray, groups: np.ndarray,
             speech: np.ndarray) -> None:
    from slimsep.evaluation.width_gain import held_out_r2

    if len(flat) < 3:
        print(f"\nheld-out R^2: skipped, {len(flat)} mixtures (it holds out a third of at least 3; raise --limit)")
        return
    features = np.concatenate([p.features for _, p in flat])
    onehot = np.eye(int(talkers.max()) + 1)[talkers]
    print(f"\nheld-out R^2 over chunks with speech (ridge regression; {len(flat) // 3} of {len(flat)} mixtures held "
          f"out; the share of variance explained there, 0 or less: not predictable)")
    if len(flat) < MIN_MIXTURES_R2:
        print(f"note: {len(flat)} mixtures is too few for R^2 to mean much (use {MIN_MIXTURES_R2} or more)")
    print(f"{'target':>22} | from the first gate's features | from the talker count (1 or 2)")
    for name, target in [*gains.items(), ("q at full width [dB]", q[:, -1])]:
        r2 = [held_out_r2(x[speech], target[speech], groups[speech]) for x in (features, onehot)]
        print(f"{name:>22} | {r2[0]:30.3f} | {r2[1]:30.3f}")


def _corr(a: np.ndarray, b: np.ndarray) -> str:
    if a.std() == 0 or b.std() == 0:
        return "none (the same value everywhere)"
    return f"{np.corrcoef(a, b)[0, 1]:.3f}"


if __name__ == "__main__":
    main()
