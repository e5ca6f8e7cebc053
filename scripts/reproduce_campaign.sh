#!/usr/bin/env bash
# Rebuild the CPU campaign's DSN (issue 27, docs/training.md "Campaign") and its static baselines from nothing but
# Debian's archive, on a 2-core CPU, one thread per job:
#   open corpus -> clean full-width phase (issue 25's 5,000-step `conv_full` recipe, also at widths 1/2 and 1/4)
#   -> stage 1 (slimmable, sandwich rule, noisy task) -> gates (regret objective, budget form) -> static baselines on
#   stage 1's data for as many steps -> evaluation on the nine test conditions -> ship.
# The campaign itself ran stage 1 across sessions with --resume; STAGE1_STEPS is where the shipped snapshot was
# taken (its `lineage` says so), and FORK_STEP where its noise draw went from one clean mixture in three to one in
# two (docs/training.md, day 7). CPU time on one thread of the project's machine: about 1.8 s per full-width step
# (2.5 h for the phase; 1.0 and about 0.7 s at widths 1/2 and 1/4), 3.9 s per stage-1 step, about 15 minutes for the
# gates (about 25 with the regret objective's seven forward passes per step); docs/training.md has the measured
# CPU hours of each stage.
# Set CORPUS and RUNS to relocate, STAGE1_STEPS, GATE_TARGET and GATE_OBJECTIVE (regret or complexity) to change
# the operating point; SHIP=1 replaces slimsep/pretrained/default.pt with the result (maintainers only).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-corpus}
RUNS=${RUNS:-runs}
STAGE1_STEPS=${STAGE1_STEPS:-6500}
FORK_STEP=${FORK_STEP:-3100}
GATE_TARGET=${GATE_TARGET:-0.8125}  # the shipped default's gates
GATE_OBJECTIVE=${GATE_OBJECTIVE:-regret}  # what they learn from (docs/training.md, the regret objective)
CKPT="$RUNS/controls/ckpt"
set_data=(--set data.root="$CORPUS")

[ -f "$CORPUS/summary.json" ] || slimsep data open-corpus -o "$CORPUS"
[ -d "$RUNS/recipe_pack" ] \
  || python scripts/recipe_controls.py --make-pack --corpus "$CORPUS" --pack "$RUNS/recipe_pack"

# The clean full-width phase: 5,000 steps of batch 4 x 4 s on fully overlapped clean mixtures, bf16 autocast, EMA
# 0.999, a 1,000-step cool-down; the same mixtures and seed at widths 1, 1/2 and 1/4 (each resumes from CKPT).
for variant in conv_full conv_full_w0.5 conv_full_w0.25; do
  python scripts/recipe_controls.py "$variant" --pack "$RUNS/recipe_pack" --steps 5000 --cooldown 1000 --batch 4 \
    --segment 4.0 --eval-every 250 --threads 1 --precision bf16 --ema-decay 0.999 --ckpt-dir "$CKPT" \
    --ckpt-seconds 300 --out "$RUNS/controls/$variant"
  python scripts/recipe_controls.py "$variant" --ckpt-dir "$CKPT" --export "$RUNS/$variant.pt" --overwrite
done

# Two phases of one noisy run (the second resumes the first: optimizer, EMA and step kept): FORK_STEP steps with
# one clean mixture in three, then up to STAGE1_STEPS with the config's one in two.
noisy_run() {  # noisy_run CONFIG FOLDER START [--set ...]: both phases of one noisy run
  local config=$1 out=$2 start=$3; shift 3
  slimsep train --config "$config" -o "$out" "${set_data[@]}" --set init_from="$start" "$@" \
    --set trainer.max_steps="$FORK_STEP" --set data.noise_activities=[0.0,0.5,1.0]
  slimsep train --config "$config" -o "$out" "${set_data[@]}" --set init_from="$start" "$@" \
    --set trainer.max_steps="$STAGE1_STEPS" --set data.noise_activities=[0.0,0.0,0.5,1.0] --resume
}

# Stage 1 on the noisy task, from the width-1 network; the EMA snapshot is what the gates and evaluation use.
noisy_run configs/small_open_campaign_slimmable.yaml "$RUNS/campaign_conv_slim" "$RUNS/conv_full.pt"
slimsep snapshot "$RUNS/campaign_conv_slim" -o "$RUNS/campaign_conv_slimmable.pt" --overwrite

# Gates on the frozen stage 1, learning each width's measured per-chunk regret (GATE_OBJECTIVE) in the budget
# form (mean relative width GATE_TARGET).
slimsep train --config configs/small_open_campaign_gate.yaml -o "$RUNS/campaign_conv_gate" "${set_data[@]}" \
  --set init_from="$RUNS/campaign_conv_slimmable.pt" --set gate.target_cost="$GATE_TARGET" \
  --set gate.objective="$GATE_OBJECTIVE"

# Static baselines: each width's clean network continued alone on stage 1's data, in the same two phases.
for w in 1.0 0.5 0.25; do
  start="$RUNS/conv_full_w$w.pt"; [ "$w" = 1.0 ] && start="$RUNS/conv_full.pt"
  noisy_run configs/small_open_campaign_static.yaml "$RUNS/campaign_static_w$w" "$start" --set static.width="$w"
done

# Every operating point on the nine test conditions (noisy mixtures; na0 is the clean mixture), one thread:
# the DSN (gates decide), its network at full width and 1/8, the static baselines, and the shipped default.
# EVAL_LIMIT=N scores N mixtures per condition.
slimsep evaluate --model "$RUNS/campaign_conv_gate/model.pt" "$RUNS"/campaign_static_w*/model.pt default \
  --budget 0 --width 1 0.125 --limit "${EVAL_LIMIT:-20}" --task sep_noisy --data "$CORPUS" --split test \
  --threads 1 -o "$RUNS/report_campaign"

if [ "${SHIP:-0}" = 1 ]; then
  python scripts/ship_model.py "$RUNS/campaign_conv_gate/model.pt" --name default \
    --results "$RUNS/report_campaign/summary.json" --notes docs/results_src/training_notes.md \
    --reproduce scripts/reproduce_campaign.sh
fi
