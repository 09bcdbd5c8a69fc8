#!/usr/bin/env bash
# Model benchmark: every model type of activities/model against scikit-learn references on five stratified 80/20
# splits of the real sample (split seeds 1-5; BENCH_SEEDS="…" to choose), each scored on the full text and on short
# titles (designation only, <= 100 characters), with training time and calibration error; then mean ± std over the
# seeds, and single-item latency and batch throughput of the default model (first split).
#
#   bash bench/model_bench.sh [MERGED.csv]
#
# Default data: $RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared/data/rakuten_sample.csv beside the repo.
# Set CARGO_TARGET_DIR as usual; the split goes to a temporary folder removed at the end.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
data="${1:-$sample}"
split="$work"
need_sklearn

cd "$root"
model_bench_binary
seeds="${BENCH_SEEDS:-1 2 3 4 5}"
results="$split/results.jsonl"

echo "data: $data; split seeds: $seeds (stratified 80/20 each)"
echo "nproc: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
first=1
for seed in $seeds; do
    dir="$split/$seed"
    "$bench" --data "$data" --split-dir "$dir" --split-seed "$seed" --write-split-only 2>/dev/null
    echo
    echo "=== split seed $seed ($(python3 -c "import pandas,sys; print(len(pandas.read_csv(sys.argv[1])), 'train /', len(pandas.read_csv(sys.argv[2])), 'test rows')" "$dir/train.csv" "$dir/test.csv")) ==="
    echo "--- scikit-learn (same split) ---"
    python3 "$root/bench/model_bench.py" "$dir" --seed "$seed" --json-out "$results"
    echo "--- activities/model (release) ---"
    if [ "$first" = 1 ]; then
        "$bench" --split-dir "$dir" --split-seed "$seed" --json-out "$results"
        first=0
    else
        "$bench" --split-dir "$dir" --split-seed "$seed" --json-out "$results" --no-latency
    fi
done
echo
echo "=== mean ± std over split seeds ($seeds); ece = expected calibration error on the test rows ==="
python3 "$root/bench/model_bench.py" --summary "$results"
