#!/usr/bin/env bash
# A second speaker-disjoint check with more voices: two-talker clean mixtures (100/50/25 % overlap, 20 each) of ten
# codec2-examples voices, none of them in the open corpus, scored for the shipped model or the models given.
# The open corpus's test split has 12 voices, 10 of them from one game's dub; these ten come from other recordings
# (English, clean), so they say more about unseen voices in general.
# Usage: scripts/heldout_codec2.sh [OUT] [MODEL ...]   (default: the shipped model)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/heldout_codec2}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(default)
wav=$(python -c "from slimsep.data.debian import fetch_package; print(fetch_package('codec2-examples'))")/usr/share/codec2/wav
mkdir -p "$OUT"
# The uncoded 8 kHz voices (f2400/m2400 are coded copies of forig/morig, ve9qrp is a noisy HF radio recording).
{ echo "path,speaker"
  for s in hts1a hts2a cross big_dog forig morig mmt1 david4 vk5qi vk2tpm_004; do echo "$wav/$s.wav,$s"; done
} > "$OUT/sources.csv"
[ -d "$OUT/set/test" ] || slimsep data simulate --sources "$OUT/sources.csv" -o "$OUT/set" -n 20 --seed 7
slimsep evaluate --model "${models[@]}" --width 1 --data "$OUT/set" --task sep_clean --threads 1 -o "$OUT/report"
