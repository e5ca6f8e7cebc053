"""Where does width help a slimmable network, and could its gates know? (issue 27's gate diagnosis)

For each mixture of a condition folder set (``slimsep evaluate``'s ``--data/--split/--task``), the network runs
at every static width; each chunk's segmental SNR (the complexity loss's q) is compared across widths. Prints:

- mean q per width and the gain of full width over the slimmest and over 1/2, by the number of active talkers in
  the chunk and by condition;
- the held-out R^2 of those gains, and of full-width q, from the first gate's input features and from the talker
  count (ridge regression, a third of the mixtures held out): near 0 means no gate on those inputs can pick widths
  by difficulty, however it is trained; and the correlation of the gain with q at full width (the quality the
  complexity loss's weight follows);
- with ``--gates``: the mean width the gates chose by talker count and its correlation with the per-chunk gain.

    python scripts/width_gain.py snapshots/campaign_small_open_slimmable.pt --data CORPUS --split valid \\
        --task sep_noisy --limit 10 --gates runs/campaign_gate/model.pt
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from slimsep.errors import SlimsepError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a slimmable model file or shipped name (run at each of its widths)")
    parser.add_argument("--data", type=Path, required=True, help="folder of condition folders (ov*_na*)")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--task", default="sep_noisy", choices=["sep_clean", "sep_noisy"])
    parser.add_argument("--limit", type=int, default=10, help="mixtures per condition (default 10)")
    parser.add_argument("--gates", help="a gated model whose chosen widths to compare (gates trained on MODEL)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    try:
        profiles, widths = collect(args)
    except SlimsepError as exc:
        sys.exit(f"width_gain: {exc}")
    report(profiles, widths)


def collect(args: argparse.Namespace) -> tuple[dict[str, list], tuple[float, ...]]:
    """(condition -> [WidthProfile, ...], the model's widths)."""
    import torch

    from slimsep.data import find_conditions
    from slimsep.evaluation.width_gain import width_profile
    from slimsep.inference.pretrained import resolve
    from slimsep.models.serialization import load_model

    torch.set_num_threads(args.threads)
    model = load_model(resolve(args.model)).eval()
    if len(model.cfg.widths) < 2:
        raise SlimsepError(f"{args.model}: one width only ({model.cfg.widths}); width_gain needs a slimmable model")
    gated = load_model(resolve(args.gates)).eval() if args.gates else None
    found = find_conditions(args.data, task=args.task, split=args.split, sample_rate=model.cfg.sample_rate)
    profiles = defaultdict(list)
    for condition, dataset in found.items():
        for i in range(min(args.limit, len(dataset))):
            mix, ref = dataset[i]
            profiles[condition].append(width_profile(model, mix, ref, gated))
    return profiles, model.cfg.widths


def report(profiles: dict[str, list], widths: tuple[float, ...]) -> None:
    from slimsep.evaluation.width_gain import held_out_r2

    flat = [(cond, k, p) for cond, ps in profiles.items() for k, p in enumerate(ps)]
    q = np.concatenate([p.quality for _, _, p in flat])
    talkers = np.concatenate([p.talkers for _, _, p in flat])
    features = np.concatenate([p.features for _, _, p in flat])
    groups = np.concatenate([np.full(len(p.talkers), j) for j, (_, _, p) in enumerate(flat)])
    conds = np.concatenate([np.full(len(p.talkers), c) for c, _, p in flat])
    gate = np.concatenate([p.gate_width for _, _, p in flat]) if flat[0][2].gate_width is not None else None
    half = widths.index(0.5) if 0.5 in widths else len(widths) - 2
    gain_slim, gain_half = q[:, -1] - q[:, 0], q[:, -1] - q[:, half]
    head = " ".join(f"q@{w:g}" for w in widths)
    print(f"{len(flat)} mixtures, {len(q)} chunks; q: segmental SNR [dB]; gain: q at full width minus q at "
          f"{widths[0]:g} / {widths[half]:g}")
    for title, keys in (("talkers active", talkers), ("condition", conds)):
        print(f"\n{title:>14} | chunks | {head} | gain {widths[0]:g} | gain {widths[half]:g}"
              + (" | gates' mean width" if gate is not None else ""))
        for key in sorted(set(keys.tolist())):
            m = keys == key
            row = " ".join(f"{v:6.2f}" for v in q[m].mean(0))
            extra = f" | {gate[m].mean():.3f}" if gate is not None else ""
            print(f"{key!s:>14} | {m.sum():6d} | {row} | {gain_slim[m].mean():6.2f} | {gain_half[m].mean():6.2f}"
                  + extra)
    speech = talkers > 0
    onehot = np.eye(int(talkers.max()) + 1)[talkers]
    print("\nheld-out R^2 (chunks with speech) | gate features | talker count")
    for name, target in ((f"gain {widths[0]:g}", gain_slim), (f"gain {widths[half]:g}", gain_half),
                         ("q at full width", q[:, -1])):
        r2 = [held_out_r2(x[speech], target[speech], groups[speech]) for x in (features, onehot)]
        print(f"{name:>33} | {r2[0]:13.3f} | {r2[1]:12.3f}")
    print(f"\ncorrelation of gain {widths[0]:g} with q at full width (chunks with speech): "
          f"{_corr(q[speech, -1], gain_slim[speech])}")
    if gate is not None:
        print(f"correlation of the gates' width with gain {widths[0]:g}: {_corr(gate[speech], gain_slim[speech])}; "
              f"with q at full width: {_corr(gate[speech], q[speech, -1])}")


def _corr(a: np.ndarray, b: np.ndarray) -> str:
    if a.std() == 0:
        return "none (the same value everywhere)"
    return f"{np.corrcoef(a, b)[0, 1]:.3f}"


if __name__ == "__main__":
    main()
