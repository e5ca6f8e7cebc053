"""Turn a trained DSN (a model file or a shipped name) back into a stage-1 network: its separator, fresh gates.

New gates train on a CPU in minutes; the separator needs a GPU. This lets gates be trained anew on the shipped
separator (or any model whose stage-1 file is gone):

    python scripts/fresh_gates.py default -o runs/small_slimmable/model.pt
    slimsep train --config configs/small_open_gate.yaml -o runs/my_gates --set init_from=runs/small_slimmable/model.pt
"""
from __future__ import annotations

import argparse
from pathlib import Path

from slimsep.errors import SlimsepError
from slimsep.inference.pretrained import resolve
from slimsep.models import fresh_gates, save_model
from slimsep.models.serialization import load_model_and_metadata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="model file or shipped name (e.g. default)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="stage-1 model file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the new gates' initialisation")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; choose another -o")
    try:
        path = resolve(args.model)
        model, meta = load_model_and_metadata(path)
    except SlimsepError as exc:
        parser.error(str(exc))
    metadata = {"stage": "slimmable", "recipe": meta.get("recipe", {}), "derived_from": str(path),
                "derivation": f"fresh_gates(seed={args.seed}): the separator of {path.name}, gates re-initialised"}
    save_model(fresh_gates(model.float(), args.seed), args.out, metadata=metadata)
    print(f"{args.out}: separator of {path}, fresh gates (stage-1 model)")


if __name__ == "__main__":
    main()
