#!/usr/bin/env bash
# How the default model shipped on 2026-11-30 (evening; superseded on 2026-12-06, docs/results_2026-11-30b.md)
# was made: the previous default (2026-11, git a760348) continued on open corpus v2 on a 2-core CPU, no GPU.
# Four runs, about 3 h of one core in all:
#   1. static full width, 400 steps of batch 4 x 3 s (the v2 arm of the corpus A/B, docs/data.md);
#   2. stage 1 (slimmable, sandwich rule) from it, 1234 steps of batch 4 on clean mixtures, speed perturbation
#      0.9-1.1, stopped by an 80-minute wall clock (optim.schedule_by_time: the learning rate still reaches its floor);
#   3. stage 1 continued on noisy mixtures (sep_noisy), 632 steps in a 50-minute wall clock, same settings;
#   4. stage 2, the gates it carries fine-tuned on noisy mixtures with the working complexity loss, lambda 0.5,
#      seed 1, 250 steps.
# Gate runs are seed-dominated: on step 2's network three of six collapsed to width 1/8 everywhere, on step 3's one
# of three (lambda 1). The shipped one had the best noisy-task validation SI-SDRi at <= 60 % of full width's GMAC/s
# (docs/results.md). Then the evaluation and the ship step at the end. Set CORPUS and RUNS to relocate.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-corpus}
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

slimsep train --config configs/small_open_slimmable.yaml -o "$RUNS/ship_s1n" $quiet \
  --set init_from="$RUNS/ship_s1/model.pt" --set data.root="$CORPUS" --set data.task=sep_noisy \
  --set data.n_items=100000 --set "data.speed_range=[0.9,1.1]" --set loader.batch_size=4 --set loader.num_workers=1 \
  --set optim.lr=3e-4 --set optim.warmup_steps=10 --set optim.min_lr_ratio=0.1 --set optim.schedule_by_time=true \
  --set trainer.max_steps=3000 --set trainer.max_time=3000 --set trainer.val_check_interval=100000 \
  --set trainer.limit_val_batches=0 --set trainer.checkpoint_every_n_steps=25

slimsep train --config configs/small_open_gate.yaml -o "$RUNS/s1n_gate_l0.5_s1" $quiet \
  --set init_from="$RUNS/ship_s1n/model.pt" --set data.root="$CORPUS" --set data.task=sep_noisy \
  --set gate.lambda=0.5 --set seed=1 --set data.seed=2 \
  --set trainer.max_steps=250 --set trainer.val_check_interval=125 --set trainer.limit_val_batches=45

# Static baselines, each trained alone at one width from step 1's network: the same 1234 steps, batch, clean
# mixtures, speed perturbation and learning rate as step 2 (cosine over the steps instead of the wall clock) ...
for w in 1.0 0.5 0.25; do
  slimsep train --config configs/small_open_static.yaml -o "$RUNS/static_w$w" $quiet \
    --set init_from="$RUNS/ab_v2/model.pt" --set static.width=$w --set data.root="$CORPUS" \
    --set data.n_items=100000 --set "data.speed_range=[0.9,1.1]" --set loader.batch_size=4 \
    --set loader.num_workers=1 --set optim.lr=3e-4 --set optim.warmup_steps=10 --set optim.min_lr_ratio=0.1 \
    --set trainer.max_steps=1234 --set trainer.val_check_interval=100000 --set trainer.limit_val_batches=0 \
    --set trainer.checkpoint_every_n_steps=50
  # ... then the same 632 steps on noisy mixtures as step 3 (like for like with the shipped DSN)
  slimsep train --config configs/small_open_static.yaml -o "$RUNS/static_n_w$w" $quiet \
    --set init_from="$RUNS/static_w$w/model.pt" --set static.width=$w --set data.root="$CORPUS" \
    --set data.task=sep_noisy --set data.n_items=100000 --set "data.speed_range=[0.9,1.1]" --set loader.batch_size=4 \
    --set loader.num_workers=1 --set optim.lr=3e-4 --set optim.warmup_steps=10 --set optim.min_lr_ratio=0.1 \
    --set trainer.max_steps=632 --set trainer.val_check_interval=100000 --set trainer.limit_val_batches=0 \
    --set trainer.checkpoint_every_n_steps=50
done

# Held-out test voices, 20 mixtures per condition (180), noisy task (mix_both; na0 is the clean mixture) and clean
# task. Every model below is scored on the same mixtures (docs/results.md: tables, paired differences).
slimsep evaluate --model "$RUNS/s1n_gate_l0.5_s1/model.pt" --budget 0 2 --width 1 0.5 0.25 0.125 \
  --data "$CORPUS" --split test --limit 20 --task sep_noisy --threads 1 -o "$RUNS/test_noisy_s4"
slimsep evaluate --model "$RUNS/s1n_gate_l0.5_s1/model.pt" --budget 0 --width 1 --data "$CORPUS" --split test \
  --limit 20 --task sep_clean --threads 1 -o "$RUNS/test_clean_s4"
for w in 1.0 0.5 0.25; do
  for task in sep_noisy sep_clean; do
    for run in static_w$w static_n_w$w; do
      slimsep evaluate --model "$RUNS/$run/model.pt" --data "$CORPUS" --split test --limit 20 --task $task \
        --threads 1 -o "$RUNS/test_${task#sep_}_$run"
    done
  done
done
# The previous default (step 2's network with clean-task gates, run ship_gate_l0.5; shipped until 2026-11-30 pm).
slimsep train --config configs/small_open_gate.yaml -o "$RUNS/ship_gate_l0.5" $quiet \
  --set init_from="$RUNS/ship_s1/model.pt" --set data.root="$CORPUS" --set gate.lambda=0.5 \
  --set trainer.max_steps=250 --set trainer.val_check_interval=125 --set trainer.limit_val_batches=45
slimsep evaluate --model "$RUNS/ship_gate_l0.5/model.pt" --budget 0 2 --width 1 0.5 0.25 0.125 \
  --data "$CORPUS" --split test --limit 20 --task sep_noisy --threads 1 -o "$RUNS/test_noisy_new"
slimsep evaluate --model "$RUNS/ship_gate_l0.5/model.pt" --budget 0 --width 1 --data "$CORPUS" --split test \
  --limit 20 --task sep_clean --threads 1 -o "$RUNS/test_clean_new"
python scripts/ship_model.py "$RUNS/s1n_gate_l0.5_s1/model.pt" --name default \
  --results "$RUNS/test_noisy_s4/summary.json" --notes docs/results_src/training_notes_2026-11-30b.md \
  --reproduce scripts/continue_default_cpu.sh
