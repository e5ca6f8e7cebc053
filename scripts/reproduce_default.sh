#!/usr/bin/env bash
# Rebuild the shipped default model and its published results from nothing but Debian's archive:
# open corpus -> stage 1 (slimmable) -> static baselines -> stage 2 gates at three lambdas -> evaluation -> ship.
# About 3 h on a 2-core CPU (two jobs at a time, one thread each); set CORPUS and RUNS to relocate.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/work/data/open_corpus}
RUNS=${RUNS:-runs}
LAMBDAS=${LAMBDAS:-"1 3 10"}
set_data="--set data.root=$CORPUS --set trainer.enable_progress_bar=false"

[ -f "$CORPUS/summary.json" ] || slimsep data open-corpus -o "$CORPUS"

# Stage 1 and the static baselines: same data, optimiser, steps and schedule; two at a time.
slimsep train --config configs/small_open_slimmable.yaml -o "$RUNS/small_slimmable" $set_data &
( for w in 1.0 0.5 0.25; do
    slimsep train --config configs/small_open_static.yaml -o "$RUNS/small_static_$w" --set static.width=$w $set_data
  done ) &
wait

# Stage 2: gates on the frozen stage-1 network, one run per lambda (the DSN operating points).
for l in $LAMBDAS; do
  slimsep train --config configs/small_open_gate.yaml -o "$RUNS/small_gate_l$l" $set_data \
    --set init_from="$RUNS/small_slimmable/model.pt" --set gate.lambda=$l &
done
wait

# Every operating point on the nine test conditions (noisy mixtures; na0 is the clean mixture), one thread:
# the DSN at each lambda and budget, the stage-1 network at each static width, the static baselines.
models=()
for l in $LAMBDAS; do models+=("$RUNS/small_gate_l$l/model.pt"); done
slimsep evaluate --model "${models[@]}" "$RUNS/small_slimmable/model.pt" "$RUNS"/small_static_*/model.pt \
  --budget 0 ${BUDGETS:-} --task sep_noisy --data "$CORPUS" --threads 1 -o "$RUNS/report"

# Ship the chosen operating point (DEFAULT_LAMBDA) as slimsep/pretrained/default.pt (float16 weights).
python scripts/ship_model.py "$RUNS/small_gate_l${DEFAULT_LAMBDA:-3}/model.pt" --name default \
  --results "$RUNS/report/summary.json"
