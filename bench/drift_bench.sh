#!/usr/bin/env bash
# Times our drift report against Evidently's on the same data: 100,000 reference and 100,000
# current rows with numeric, categorical and text columns, written to a temporary folder.
#
#   bench/drift_bench.sh            # ROWS=… to change the size, PYTHON=… to pick the interpreter
#
# Both timings cover computing the report and writing its JSON and HTML, with the data already
# in memory (CSV reading is not timed on either side). Ours runs three times (median reported),
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

echo "running ours (3 runs)" >&2
for i in 1 2 3; do
    "$BIN" --data "$TMP" --out "$TMP" > "$TMP/ours_$i.json"
done

echo "running evidently" >&2
"$PYTHON" "$ROOT/bench/drift_bench.py" evidently --data "$TMP" --out "$TMP" \
    --result "$TMP/evidently.json" >&2

"$PYTHON" "$ROOT/bench/drift_bench.py" compare --rows "$ROWS" \
    --ours "$TMP"/ours_*.json --evidently "$TMP/evidently.json"
