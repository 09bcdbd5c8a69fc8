#!/usr/bin/env bash
# Model benchmark: every model type of activities/model against scikit-learn references on one fixed stratified
# 80/20 split of the real sample, plus single-item latency and batch throughput of the default model.
#
#   bash bench/model_bench.sh [MERGED.csv]
#
# Default data: $RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared/data/rakuten_sample.csv beside the repo.
# Set CARGO_TARGET_DIR as usual; the split goes to a temporary folder removed at the end.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${RAKUTEN_SHARED_DIR:-$root/../shared}"
data="${1:-$shared/data/rakuten_sample.csv}"
split="$(mktemp -d)"
trap 'rm -rf "$split"' EXIT

if ! python3 -c "import sklearn, pandas, scipy" 2>/dev/null; then
    echo "installing scikit-learn and pandas" >&2
    python3 -m pip install --quiet scikit-learn pandas >&2 \
        || python3 -m pip install --quiet --break-system-packages scikit-learn pandas >&2
fi

cd "$root"
cargo build --quiet --release -p model --example bench
target="${CARGO_TARGET_DIR:-$root/target}"
bench="$target/release/examples/bench"

"$bench" --data "$data" --split-dir "$split" --write-split-only
echo "data: $data ($(python3 -c "import pandas,sys; print(len(pandas.read_csv(sys.argv[1])), 'train /', len(pandas.read_csv(sys.argv[2])), 'test rows')" "$split/train.csv" "$split/test.csv"))"
echo "nproc: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "--- scikit-learn (same split) ---"
printf '%-17s %11s %9s %9s %8s\n' model f1_weighted f1_macro "" train_s
python3 "$root/bench/model_bench.py" "$split"
echo
echo "--- activities/model (release) ---"
"$bench" --split-dir "$split"
