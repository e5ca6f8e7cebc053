#!/usr/bin/env bash
# Rebuild the shipped default model and its published results from nothing but Debian's archive:
# open corpus -> static baselines -> stage 1 (slimmable, from static width 1) -> stage 2 gates per lambda ->
# evaluation -> ship.
# About 2 h on a 2-core CPU (two jobs at a time, one thread each); set CORPUS and RUNS to relocate.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/work/data/open_corpus}
RUNS=${RUNS:-runs}
LAMBDAS=${LAMBDAS:-"1 4"}
set_data="--set data.root=$CORPUS --set trainer.enable_progress_bar=false"

[ -f "$CORPUS/summary.json" ] || slimsep data open-corpus -o "$CORPUS"

# Static baselines (same data, optimiser, steps and schedule) on one core; width 1 first, because stage 1 starts
# from it. Stage 1 (slimmable, sandwich rule) runs on the other core once width 1 is done.
slimsep train --config configs/small_open_static.yaml -o "$RUNS/small_static_1.0" --set static.width=1.0 $set_data
( for w in 0.5 0.25; do
    slimsep train --config configs/small_open_static.yaml -o "$RUNS/small_static_$w" --set static.width=$w $set_data
  done ) &
slimsep train --config configs/small_open_slimmable.yaml -o "$RUNS/small_slimmable" $set_data \
  --set init_from="$RUNS/small_static_1.0/model.pt"
wait

# Stage 2: gates on the frozen stage-1 network, one run per lambda (the DSN operating points).
for l in $LAMBDAS; do
  slimsep train --config configs/small_open_gate.yaml -o "$RUNS/small_gate_l$l" $set_data \
    --set init_from="$RUNS/small_slimmable/model.pt" --set gate.lambda=$l &
done
wait

# Every operating point on the nine test conditions (noisy mixtures; na0 is the clean mixture), one thread:
# the DSN at each lambda and budget, the stage-1 network at each static width, the static baselines.
# BUDGETS="1 2" adds gate budgets; EVAL_LIMIT=N scores N mixtures per condition instead of all 40.
models=()
for l in $LAMBDAS; do models+=("$RUNS/small_gate_l$l/model.pt"); done
slimsep evaluate --model "${models[@]}" "$RUNS/small_slimmable/model.pt" "$RUNS"/small_static_*/model.pt \
  --budget 0 ${BUDGETS:-} ${EVAL_LIMIT:+--limit $EVAL_LIMIT} --task sep_noisy --data "$CORPUS" --threads 1 \
  -o "$RUNS/report"

# Ship the chosen operating point (DEFAULT_LAMBDA) as slimsep/pretrained/default.pt (float16 weights).
python scripts/ship_model.py "$RUNS/small_gate_l${DEFAULT_LAMBDA:-4}/model.pt" --name default \
  --results "$RUNS/report/summary.json"
