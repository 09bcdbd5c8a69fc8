#!/usr/bin/env bash
# Import + initial 40 % load of ROWS generated rows (default 84,916, the full challenge size), on SQLite and on
# PostgreSQL, through the real `rakuten` binary. Prints rows/s for each step and end to end.
#
#   bash bench/data_bench.sh                 # PG_URL defaults to postgres://postgres@127.0.0.1:5432/test
#   ROWS=20000 PROFILE=release bash bench/data_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-84916}
PROFILE=${PROFILE:-dev}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/rakuten-target}
if [ "$PROFILE" = release ]; then cargo build -q --release -p rakuten; BIN=$CARGO_TARGET_DIR/release/rakuten
else cargo build -q -p rakuten; BIN=$CARGO_TARGET_DIR/debug/rakuten; fi

work=$(mktemp -d)
db="rakuten_bench_$$"
cleanup() { psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

"$BIN" data generate --out "$work/gen" --rows "$ROWS" --json >/dev/null
now() { date +%s.%N; }

run() { # name url
  local name=$1 url=$2 t0 t1 t2
  "$BIN" --database-url "$url" db migrate --json >/dev/null
  t0=$(now)
  "$BIN" --database-url "$url" --json data import --x-train "$work/gen/X_train.csv" --y-train "$work/gen/Y_train.csv" >"$work/import.json"
  t1=$(now)
  "$BIN" --database-url "$url" --json data load --initial 40 >"$work/load.json"
  t2=$(now)
  python3 - "$name" "$ROWS" "$t0" "$t1" "$t2" "$work/import.json" "$work/load.json" <<'PY'
import json, sys
name, rows, t0, t1, t2, imp, load = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6]), sys.argv[6], sys.argv[7]
imp, load = json.load(open(imp)), json.load(open(load))
loaded = load["batch"]["rows"]
print(f"{name:<10} import {rows} rows: {t1-t0:6.2f}s ({rows/(t1-t0):9,.0f} rows/s; in-process {rows/imp['seconds']:9,.0f} rows/s)"
      f" | initial 40% = {loaded} rows: {t2-t1:5.2f}s ({loaded/(t2-t1):9,.0f} rows/s)"
      f" | end to end {rows/(t2-t0):9,.0f} rows/s")
PY
}

echo "rakuten data bench: $ROWS generated rows, $PROFILE build, $(nproc) cores"
run sqlite "sqlite://$work/bench.db"
psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
run postgres "${PG_URL%/*}/$db"
