#!/usr/bin/env bash
# Rebuild the 2026-11 default model (docs/results_2026-11.md; superseded, today's default comes from
# scripts/reproduce_campaign.sh) and its published results from nothing but Debian's archive:
# open corpus -> static baselines -> stage 1 (slimmable, from static width 1) -> stage 2 gates per lambda ->
# evaluation -> ship.
# As run for the shipped model: the static baselines and stage 1 on one H100 (about 25 min in all, the three
# static widths at once), the gates and the evaluation on a 2-core CPU (about 1 h). Set CORPUS and RUNS to relocate.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-corpus}
RUNS=${RUNS:-runs}
# Gate runs (stage 2), one DSN each: name:override,override,... (as run for the shipped results). They predate the
# complexity-loss fix (commit b9045d4: chunk quality had been measured at the wrong gain, so only all-silent chunks
# were penalised); with the fixed loss these settings train other gates. To repeat the shipped gates exactly, run
# this stage at commit 66e6af2. Gates of the fixed loss: docs/results.md, "Two faults found on 2026-11-29".
GATES=${GATES:-"l4:gate.lambda=4 l16:gate.lambda=16 \
  q4_l8:gate.q0=4.0,gate.lambda=8,trainer.max_steps=600,trainer.val_check_interval=300 \
  t025:gate.target_cost=0.25,gate.lambda=50,trainer.max_steps=600,trainer.val_check_interval=300 \
  hot_q4_l8:gate.q0=4.0,gate.lambda=8,gate.tau_start=2.0,gate.tau_end=0.5,trainer.max_steps=600,\
trainer.val_check_interval=300"}
set_data="--set data.root=$CORPUS --set trainer.enable_progress_bar=false"

[ -f "$CORPUS/summary.json" ] || slimsep data open-corpus -o "$CORPUS"

# Static baselines (same data, optimiser, steps and schedule), all three at once on one GPU. The network is the
# all-transformer `small` of that time, named `small_transformer` since `small` moved to conv intra layers.
for w in 1.0 0.5 0.25; do
  slimsep train --config configs/small_open_static.yaml -o "$RUNS/small_static_$w" --set static.width=$w $set_data \
    --set model.name=small_transformer &
done
wait

# Stage 1 (slimmable, sandwich rule) from the static width-1 network. The shipped run was cut by a wall-clock
# limit at step 1068 of 1500: add --set trainer.max_time=150 to repeat that on an H100.
slimsep train --config configs/small_open_slimmable.yaml -o "$RUNS/small_slimmable" $set_data \
  --set init_from="$RUNS/small_static_1.0/model.pt" ${STAGE1_MAX_TIME:+--set trainer.max_time=$STAGE1_MAX_TIME}

# Stage 2: gates on the frozen stage-1 network (the DSN operating points), two runs at a time, one CPU core each.
models=()
for g in $GATES; do
  sets=()
  IFS=, read -ra kv <<< "${g#*:}"
  for a in "${kv[@]}"; do sets+=(--set "$a"); done
  slimsep train --config configs/small_open_gate.yaml -o "$RUNS/small_gate_${g%%:*}" $set_data \
    --set init_from="$RUNS/small_slimmable/model.pt" "${sets[@]}" &
  models+=("$RUNS/small_gate_${g%%:*}/model.pt")
  (( ${#models[@]} % 2 )) || wait
done
wait

# Every operating point on the nine test conditions (noisy mixtures; na0 is the clean mixture), one thread:
# the DSN at each lambda and budget, the stage-1 network at each static width, the static baselines.
# EVAL_LIMIT=N scores N mixtures per condition instead of all 40.
slimsep evaluate --model "${models[@]}" "$RUNS/small_slimmable/model.pt" "$RUNS"/small_static_*/model.pt \
  --budget 0 ${BUDGETS:-2} ${EVAL_LIMIT:+--limit $EVAL_LIMIT} --task sep_noisy --data "$CORPUS" --threads 1 \
  -o "$RUNS/report"

# Ship the chosen operating point (DEFAULT_GATE) as slimsep/pretrained/default.pt (float16 weights), and the
# results page. The shipped gates are the step-300 checkpoint of their run, chosen by validation SI-SDRi; gate runs
# are now chosen by the validation loss, so a rerun may pick step 600 (checkpoints/best-*.ckpt keeps both).
python scripts/ship_model.py "$RUNS/small_gate_${DEFAULT_GATE:-hot_q4_l8}/model.pt" --name default \
  --results "$RUNS/report/summary.json"
python scripts/results_page.py "$RUNS/report" --corpus "$CORPUS" --intro docs/results_src/intro.md -o docs/results.md
