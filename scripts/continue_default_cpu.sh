#!/usr/bin/env bash
# How the shipped default model of 2026-11-30 was made: the previous default (2026-11, git a760348) continued on
# open corpus v2 on a 2-core CPU, no GPU. Three runs, about 2 h of one core in all:
#   1. static full width, 400 steps of batch 4 x 3 s (the v2 arm of the corpus A/B, docs/data.md);
#   2. stage 1 (slimmable, sandwich rule) from it, 1234 steps of batch 4, speed perturbation 0.9-1.1, stopped by an
#      80-minute wall clock (optim.schedule_by_time: the learning rate still reaches its floor);
#   3. stage 2, the gates it carries fine-tuned with the working complexity loss, lambda 0.5, 250 steps.
# Gate runs were seed-dominated: of six (lambda 0.2/0.5/1/2, seeds 0/1) three collapsed to width 1/8 everywhere;
# the shipped one had the best validation SI-SDRi at <= 60 % of full width's GMAC/s (docs/results.md).
# Then the evaluation and the ship step at the end. Set CORPUS and RUNS to relocate.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-/work/data/open_corpus_v2}
RUNS=${RUNS:-runs}
quiet="--set trainer.enable_progress_bar=false --set trainer.threads=1"

[ -f "$CORPUS/summary.json" ] || slimsep data open-corpus -o "$CORPUS"
mkdir -p "$RUNS"
[ -f "$RUNS/default_2026-11.pt" ] || git show a760348:slimsep/pretrained/default.pt > "$RUNS/default_2026-11.pt"

slimsep train --config configs/small_open_static.yaml -o "$RUNS/ab_v2" $quiet \
  --set init_from="$RUNS/default_2026-11.pt" --set data.root="$CORPUS" --set data.n_items=100000 \
  --set trainer.max_steps=400 --set trainer.max_time=3000 --set trainer.val_check_interval=100000 \
  --set trainer.limit_val_batches=0 --set trainer.checkpoint_every_n_steps=50 --set loader.batch_size=4 \
  --set loader.num_workers=1 --set optim.lr=3e-4 --set optim.warmup_steps=10 --set optim.min_lr_ratio=0.1

slimsep train --config configs/small_open_slimmable.yaml -o "$RUNS/ship_s1" $quiet \
  --set init_from="$RUNS/ab_v2/model.pt" --set data.root="$CORPUS" --set data.n_items=100000 \
  --set "data.speed_range=[0.9,1.1]" --set loader.batch_size=4 --set loader.num_workers=1 \
  --set optim.lr=3e-4 --set optim.warmup_steps=10 --set optim.min_lr_ratio=0.1 --set optim.schedule_by_time=true \
  --set trainer.max_steps=3000 --set trainer.max_time=4800 --set trainer.val_check_interval=100000 \
  --set trainer.limit_val_batches=0 --set trainer.checkpoint_every_n_steps=25

slimsep train --config configs/small_open_gate.yaml -o "$RUNS/ship_gate_l0.5" $quiet \
  --set init_from="$RUNS/ship_s1/model.pt" --set data.root="$CORPUS" --set gate.lambda=0.5 \
  --set trainer.max_steps=250 --set trainer.val_check_interval=125 --set trainer.limit_val_batches=45

# Held-out test voices, 20 mixtures per condition, noisy mixtures (mix_both; na0 is the clean mixture).
slimsep evaluate --model "$RUNS/ship_gate_l0.5/model.pt" --budget 0 2 --width 1 0.5 0.25 0.125 \
  --data "$CORPUS" --split test --limit 20 --task sep_noisy --threads 1 -o "$RUNS/test_noisy_new"
# The previous default on the same mixtures, and both on the clean task (docs/results.md, paired differences).
slimsep evaluate --model "$RUNS/default_2026-11.pt" --budget 0 --width 1 --data "$CORPUS" --split test --limit 20 \
  --task sep_noisy --threads 1 -o "$RUNS/test_noisy_old"
for m in "$RUNS/ship_gate_l0.5/model.pt:new" "$RUNS/default_2026-11.pt:old"; do
  slimsep evaluate --model "${m%:*}" --budget 0 --width 1 --data "$CORPUS" --split test --limit 20 \
    --task sep_clean --threads 1 -o "$RUNS/test_clean_${m##*:}"
done
python scripts/ship_model.py "$RUNS/ship_gate_l0.5/model.pt" --name default \
  --results "$RUNS/test_noisy_new/summary.json" --notes docs/results_src/training_notes.md \
  --reproduce scripts/continue_default_cpu.sh
