"""Every constant per-block width assignment of a slimmable network: SI-SDRi against GMAC/s (issue 27).

Trained gates that cannot tell chunks apart (scripts/width_gain.py) settle on one width per dual-path block. This
scores every such assignment (W ** R of them: 16 for 4 widths and 2 blocks), each block at one width for every
chunk, on condition folders (CORPUS/<split>/ov*_na*, as for `slimsep evaluate`), so the gates' choices can be put
on the front they should reach. Prints one row per assignment, best SI-SDRi first within equal GMAC/s:

    python scripts/block_widths.py snapshots/campaign_conv_slimmable.pt --data CORPUS --split valid \\
        --task sep_noisy --limit 10
"""
from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np

from slimsep.errors import SlimsepError
from width_gain import load_slimmable, slimmable_data_parser  # scripts/ is this script's sys.path[0]


def main() -> None:
    parser = slimmable_data_parser(__doc__)
    args = parser.parse_args()
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    try:
        rows = score_assignments(args)
    except SlimsepError as exc:
        sys.exit(f"block_widths: {exc}")
    print(f"model {args.model}, data {args.data} ({args.split}, {args.task}), at most {args.limit} mixtures per "
          f"condition; SI-SDRi pooled over mixtures")
    print("widths per block | SI-SDRi [dB] | GMAC/s")
    for widths, si_sdri, gmacs in sorted(rows, key=lambda r: (r[2], -r[1])):
        print(f"{', '.join(f'{w:g}' for w in widths):>16} | {si_sdri:12.2f} | {gmacs:6.3f}")


def score_assignments(args: argparse.Namespace) -> list[tuple[tuple[float, ...], float, float]]:
    """[(width per block, mean SI-SDRi [dB], mean GMAC/s)] for every constant assignment. Raises SlimsepError for a
    model trained at one width or data that cannot be read."""
    import torch

    from slimsep.data import find_conditions
    from slimsep.evaluation.metrics import separation_metrics
    from slimsep.models import count_macs

    torch.set_num_threads(args.threads)
    model, _ = load_slimmable(args.model, "block_widths")
    found = find_conditions(args.data, task=args.task, split=args.split, sample_rate=model.cfg.sample_rate)
    items = [ds[i] for ds in found.values() for i in range(min(args.limit, len(ds)))]
    rows = []
    for combo in itertools.product(range(len(model.cfg.widths)), repeat=model.cfg.n_blocks):
        scores, gmacs = [], []
        for mix, ref in items:
            n = mix.shape[-1]
            idx = torch.tensor(combo).view(-1, 1).expand(-1, model.n_chunks(n)).contiguous()  # [R, C]
            with torch.inference_mode():
                est = model(mix, idx).estimates[0]
            scores.append(separation_metrics(est, ref, mix, sdr=False)["si_sdri"])
            gmacs.append(count_macs(model.cfg, idx.numpy(), n, gated=True) / 1e9 / (n / model.cfg.sample_rate))
        rows.append((tuple(model.cfg.widths[k] for k in combo), float(np.mean(scores)), float(np.mean(gmacs))))
    return rows


if __name__ == "__main__":
    main()
