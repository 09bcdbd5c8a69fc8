#!/usr/bin/env bash
# Upper bound of other model families and their blends (with our default too) on bench/model_bench.sh's five
# splits (see bench/model_ceiling.py): whether any of them, or an ensemble of them, beats LinearSVC by 2 points.
#
#   bash bench/model_ceiling.sh [MERGED.csv]     (about 20 minutes on 2 cores; BENCH_SEEDS="…" to choose)
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_sklearn
model_bench_binary
splits=()
for seed in ${BENCH_SEEDS:-1 2 3 4 5}; do
    "$bench" --data "${1:-$sample}" --split-dir "$work/$seed" --split-seed "$seed" --write-split-only 2>/dev/null
    "$bench" --split-dir "$work/$seed" --only ngram_logreg --no-latency \
        --probs-out "$work/$seed/ngram_logreg.json" >/dev/null
    splits+=("$work/$seed")
done
echo "data: ${1:-$sample}; nproc: $(nproc)"
python3 "$root/bench/model_ceiling.py" "${splits[@]}"
