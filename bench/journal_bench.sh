#!/usr/bin/env bash
# What the inference log journal costs: `rakuten serve` (release) under the same wrk load with the database
# taking the log (the in-memory path: queue → database) and with SQLite's write lock held by another process
# for the whole run, so that every row goes to the journal on local disk (queue → journal). Varied real bodies:
# a wrk Lua script cycles through BODIES products of the shared sample (designation + description). The modes
# take turns for ROUNDS rounds; between runs the journal is replayed and the service is healthy again.
#
#   bash bench/journal_bench.sh      # ROUNDS=3 SECONDS_PER_RUN=10 CONCURRENCY=16 BODIES=2000
#
# Needs wrk (apt-get install -y wrk). Data: $RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared beside
# the repo. Ports 18100/18151 must be free. RAKUTEN_BIN=path benchmarks that binary instead of building it.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-10}"
concurrency="${CONCURRENCY:-16}"
bodies="${BODIES:-2000}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

cd "$root"
if [ -z "${RAKUTEN_BIN:-}" ]; then
    cargo build --quiet --release -p rakuten
fi
rakuten="${RAKUTEN_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/rakuten}"
db="$work/rakuten.db"
export RAKUTEN_DATABASE_URL="sqlite://$db" RAKUTEN_ARTIFACTS="$work/artifacts" RAKUTEN_ACTOR=bench
export RAKUTEN_LOG_JOURNAL_DIR="$work/journal"

echo "training the default model on $sample" >&2
"$rakuten" model train --data "$sample" --out "$work/model" >/dev/null 2>"$work/train.log"
"$rakuten" data import --csv "$sample" >/dev/null 2>&1
"$rakuten" models register --model-dir "$work/model" --promote >/dev/null 2>&1

# The wrk script: one request per product, cycling.
write_bodies_lua "$bodies" "$work/bodies.lua"

"$rakuten" serve --http-port 18100 --grpc-port 18151 >"$work/serve.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:18100
wait_health() { # STATUS
    for _ in $(seq 1 1500); do
        curl -sf "$url/health" | grep -q "\"status\":\"$1\"" && return 0
        sleep 0.2
    done
    echo "never $1: $(curl -s "$url/health")" >&2; exit 1
}
wait_health healthy

run() { # MODE → "req/s p99_ms"
    local out
    out="$(wrk -t 2 -c "$concurrency" -d "${seconds}s" --latency -s "$work/bodies.lua" "$url/predict")"
    python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{rps:.0f} {p99:.2f} {non2xx.group(1) if non2xx else 0}")
PY
}

results="$work/results"
: >"$results"
for round in $(seq 1 "$rounds"); do
    r="$(run database)"
    echo "round $round database: $r" >&2
    echo "database $r" >>"$results"
    # Another process takes SQLite's write lock and keeps it for the run: every log write waits, then the rows go
    # to the journal.
    python3 -c "import sqlite3, time, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); time.sleep(float(sys.argv[2]))" \
        "$db" "$((seconds + 3))" &
    locker=$!
    sleep 0.5 # the lock is taken (a connect and one statement) before the load starts
    r="$(run journal)"
    echo "round $round journal:  $r ($(curl -s "$url/health" | python3 -c 'import json,sys; j=json.load(sys.stdin)["inference_log"]["journal"]; print(j["journaled_rows"], "rows journaled so far,", j["bytes"], "bytes waiting")'))" >&2
    echo "journal $r" >>"$results"
    wait "$locker"
    wait_health healthy # the journal is replayed
done
dropped="$(curl -s "$url/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["inference_log"]["dropped_rows"])')"

python3 - "$results" "$dropped" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(mode, i): return statistics.median(float(r[i]) for r in rows if r[0] == mode)
db_rps, db_p99 = med("database", 1), med("database", 2)
j_rps, j_p99 = med("journal", 1), med("journal", 2)
non2xx = sum(int(r[3]) for r in rows)
print(f"medians of {len(rows)//2} rounds: database path {db_rps:.0f} req/s, p99 {db_p99:.2f} ms; "
      f"journal path {j_rps:.0f} req/s, p99 {j_p99:.2f} ms; journal/database throughput {j_rps/db_rps:.2f}, "
      f"p99 {j_p99/db_p99:.2f}x; non-2xx {non2xx}; rows dropped {sys.argv[2]}")
PY
