#!/usr/bin/env bash
# Times our drift report against Evidently's on the same data: 100,000 reference and 100,000
# current rows with numeric, categorical and text columns, written to a temporary folder.
#
#   bench/drift_bench.sh            # ROWS=… to change the size, PYTHON=… to pick the interpreter
#
# Both timings cover computing the report and writing its JSON and HTML, with the data already
# in memory (CSV reading is not timed on either side). Ours runs six times (median reported),
# Evidently once. Evidently and pandas<3 are installed from PyPI if missing; nothing else is
# downloaded. The text titles come from ../shared/data/rakuten_sample.csv when present.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS="${ROWS:-100000}"
PYTHON="${PYTHON:-python3}"
SHARED="${RAKUTEN_SHARED_DIR:-$ROOT/../shared}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if ! "$PYTHON" - <<'PY' 2>/dev/null
import evidently, sklearn, scipy, pandas
assert int(pandas.__version__.split(".")[0]) < 3
PY
then
    echo "installing evidently and pandas<3 from PyPI" >&2
    "$PYTHON" -m pip install --quiet "evidently" "pandas<3"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "generating $ROWS + $ROWS rows in $TMP" >&2
"$PYTHON" "$ROOT/bench/drift_bench.py" generate --out "$TMP" --rows "$ROWS" \
    --sample "$SHARED/data/rakuten_sample.csv"

echo "building the drift_bench example (release)" >&2
cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p drift --example drift_bench
BIN="$CARGO_TARGET_DIR/release/examples/drift_bench"

# The machine may be shared: ours runs three times before and three times after Evidently, and
# the median of the six is reported, so a load change hits both sides alike.
run_ours() {
    for i in "$@"; do
        "$BIN" --data "$TMP" --out "$TMP" > "$TMP/ours_$i.json"
    done
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "running ours (3 runs)" >&2
run_ours 1 2 3
echo "running evidently" >&2
"$PYTHON" "$ROOT/bench/drift_bench.py" evidently --data "$TMP" --out "$TMP" \
    --result "$TMP/evidently.json" >&2
echo "running ours (3 more runs)" >&2
run_ours 4 5 6
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$PYTHON" "$ROOT/bench/drift_bench.py" compare --rows "$ROWS" \
    --ours "$TMP"/ours_*.json --evidently "$TMP/evidently.json"
