#!/usr/bin/env bash
# Inference service benchmark: `rakuten serve` (release) against a Python equivalent of the original service
# (FastAPI + uvicorn --workers 2 + scikit-learn TF-IDF/LogisticRegression, prometheus_client, CSV log), both
# trained on the real sample, the same JSON body, the same load tool (hey) at 16 concurrent connections.
# Runs ROUNDS rounds (3) in turns; prints each round's throughput, p50 and p99, the ratios' median and worst
# round, then the batch endpoint's items/s.
#
#   bash bench/serve_bench.sh            # REQUESTS=20000 CONCURRENCY=16 BATCH=256 ROUNDS=3 to change the load
#   TOOL=wrk bash bench/serve_bench.sh   # wrk instead of hey, SECONDS_PER_RUN=15 per run
#   BODIES=2000 bash bench/serve_bench.sh  # real traffic: wrk cycling 2,000 varied products of the sample
#                                          # (designation + description) instead of the one short body
#
# Needs hey (apt-get install hey; or wrk with TOOL=wrk) and Python with fastapi uvicorn scikit-learn prometheus_client pandas
# (installed with pip when missing). Data: $RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared beside
# the repo. Ports 18000/18051 (ours) and 18001 (Python) must be free.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
requests="${REQUESTS:-20000}"
concurrency="${CONCURRENCY:-16}"
batch="${BATCH:-256}"

command -v hey >/dev/null || { echo "hey is missing: apt-get install -y hey" >&2; exit 1; }
if ! python3 -c "import fastapi, uvicorn, sklearn, prometheus_client, pandas" 2>/dev/null; then
    echo "installing fastapi uvicorn scikit-learn prometheus_client pandas" >&2
    python3 -m pip install --quiet fastapi uvicorn scikit-learn prometheus_client pandas >&2 \
        || python3 -m pip install --quiet --break-system-packages fastapi uvicorn scikit-learn prometheus_client pandas >&2
fi

cd "$root"
if [ -z "${RAKUTEN_BIN:-}" ]; then # RAKUTEN_BIN=path: benchmark that binary instead of building the release one
    cargo build --quiet --release -p rakuten
fi
rakuten="${RAKUTEN_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/rakuten}"
export RAKUTEN_DATABASE_URL="sqlite://$work/rakuten.db" RAKUTEN_ARTIFACTS="$work/artifacts" RAKUTEN_ACTOR=bench
export RAKUTEN_LOG_JOURNAL_DIR="$work/journal"

wait_healthy() { # URL
    for _ in $(seq 1 600); do
        curl -sf "$1" | grep -q '"healthy"' && return 0
        sleep 0.2
    done
    echo "$1 never became healthy" >&2; exit 1
}

echo "training our model (default type) and the Python model on $sample" >&2
"$rakuten" model train --data "$sample" --out "$work/model" >/dev/null 2>"$work/train.log"
"$rakuten" data import --csv "$sample" >/dev/null 2>&1
"$rakuten" models register --model-dir "$work/model" >/dev/null 2>&1
"$rakuten" models promote rakuten_classifier 1 >/dev/null 2>&1
python3 "$root/bench/serve_py/app.py" train "$sample" "$work/model.joblib"

"$rakuten" serve --http-port 18000 --grpc-port 18051 >"$work/serve.log" 2>&1 &
pids+=($!)
(cd "$root/bench/serve_py" && SERVE_PY_MODEL="$work/model.joblib" SERVE_PY_LOG="$work/predictions.csv" \
    exec python3 -m uvicorn app:app --host 127.0.0.1 --port 18001 --workers 2 --log-level warning) \
    >"$work/py.log" 2>&1 &
pids+=($!)
wait_healthy http://127.0.0.1:18000/health
wait_healthy http://127.0.0.1:18001/health

body='{"designation": "Console Nintendo Switch Lite turquoise", "description": "<p>Console portable, écran tactile 5,5 pouces, livrée avec chargeur.</p>", "imageid": 1263597046}'
batch_body="$(python3 -c "
import json, sys
item = json.loads(sys.argv[1])
print(json.dumps({'items': [item] * int(sys.argv[2])}))" "$body" "$batch")"

# hey's summary: Requests/sec, and the 50% / 99% lines of the latency distribution (seconds).
run_hey() { # NAME URL BODY N C
    local out
    out="$(hey -n "$4" -c "$5" -m POST -T application/json -d "$3" "$2")"
    local rps p50 p99 codes
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '/ 50%+ in/ {print $3}' <<<"$out")"
    p99="$(awk '/ 99%+ in/ {print $3}' <<<"$out")"
    codes="$(sed -n '/Status code distribution/,/^$/p' <<<"$out" | grep -o '\[[0-9]*\][[:space:]]*[0-9]*' | tr -s ' ' | paste -sd' ')"
    echo "$1 ${rps:-nan} ${p50:-nan} ${p99:-nan} $codes" # hey omits percentiles it has too few samples for
}

# wrk (TOOL=wrk): the same connections for DURATION seconds from a Lua-scripted POST; its own latency percentiles.
# BODY "@file.lua": that script (the varied products) instead of one body.
run_wrk() { # NAME URL BODY SECONDS C
    local script="$work/post.lua" out
    if [[ "$3" == @* ]]; then
        script="${3#@}"
    else
        # A Lua long string carries the UTF-8 body as it is (Lua has no \u escapes).
        printf "wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\nwrk.body = [==[%s]==]\n" "$3" >"$script"
    fi
    out="$(wrk -t 2 -c "$5" -d "${4}s" --latency -s "$script" "$2")"
    python3 - "$1" "$out" <<'PY'
import re, sys
name, out = sys.argv[1], sys.argv[2]
def seconds(v):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", v)
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]
rps = re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)
p50 = seconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
total = re.search(r"(\d+) requests in", out).group(1)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = re.search(r"Socket errors: (.*)", out)
codes = f"[requests]{total} [non-2xx]{bad.group(1) if bad else 0}" + (f" [socket]{errors.group(1).replace(' ', '')}" if errors else "")
print(name, rps, p50, p99, codes)
PY
}

tool="${TOOL:-hey}"
single="$body" # what the single-prediction runs send
if [ -n "${BODIES:-}" ]; then
    tool=wrk # hey sends one body
    write_bodies_lua "$BODIES" "$work/bodies.lua"
    single="@$work/bodies.lua"
fi
case "$tool" in
    hey) ;;
    wrk) command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; } ;;
    *) echo "TOOL must be hey or wrk" >&2; exit 2 ;;
esac
seconds="${SECONDS_PER_RUN:-15}"
load() { # NAME URL BODY N C: N requests with hey, or SECONDS_PER_RUN seconds with wrk
    if [ "$tool" = wrk ]; then run_wrk "$1" "$2" "$3" "$seconds" "$5"; else run_hey "$@"; fi
}

echo "warming up" >&2
if [ -n "${BODIES:-}" ]; then
    wrk -t 2 -c "$concurrency" -d 5s -s "$work/bodies.lua" http://127.0.0.1:18000/predict >/dev/null
    wrk -t 2 -c "$concurrency" -d 5s -s "$work/bodies.lua" http://127.0.0.1:18001/predict >/dev/null
else
    hey -n 2000 -c "$concurrency" -m POST -T application/json -d "$body" http://127.0.0.1:18000/predict >/dev/null
    hey -n 500 -c "$concurrency" -m POST -T application/json -d "$body" http://127.0.0.1:18001/predict >/dev/null
fi

if [ "$tool" = wrk ]; then what="$seconds s per run"; else what="$requests requests"; fi
rounds="${ROUNDS:-3}"
echo "bodies: ${BODIES:-one} $([ -n "${BODIES:-}" ] && echo 'varied products' || echo 'repeated body')"
echo "tool: $tool, nproc: $(nproc), load before: $(cut -d' ' -f1-3 /proc/loadavg), $what at $concurrency connections, $rounds rounds"
py_requests=$(( requests / 10 > 3000 ? requests / 10 : 3000 )) # enough for a p99 of 30 samples
results="$work/results"
for round in $(seq 1 "$rounds"); do # the services take turns, so a slow minute of the machine hits both
    {
        echo "$round $(load rust http://127.0.0.1:18000/predict "$single" "$requests" "$concurrency")"
        echo "$round $(load python http://127.0.0.1:18001/predict "$single" "$py_requests" "$concurrency")"
        echo "$round $(load rust-batch http://127.0.0.1:18000/predict/batch "$batch_body" 400 4)"
        echo "$round $(load python-batch http://127.0.0.1:18001/predict/batch "$batch_body" 100 4)"
    } >>"$results"
done

python3 - "$results" "$batch" <<'PY'
import statistics, sys
runs = {}  # name -> [(round, rps, p50 ms, p99 ms, codes)]
for line in open(sys.argv[1]):
    rnd, name, rps, p50, p99, *codes = line.split()
    runs.setdefault(name, []).append((int(rnd), float(rps), float(p50) * 1000, float(p99) * 1000, " ".join(codes)))
n = int(sys.argv[2])
med = lambda name, i: statistics.median(r[i] for r in runs[name])
print(f"{'round':<7}{'service':<14}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}  status codes")
for name in ("rust", "python"):
    for rnd, rps, p50, p99, codes in runs[name]:
        print(f"{rnd:<7}{name:<14}{rps:>12.0f}{p50:>10.2f}{p99:>10.2f}  {codes}")
# Each round's ratios, then their median and the worst round: a single run is not a measurement here.
tput = [o[1] / t[1] for o, t in zip(runs["rust"], runs["python"])]
p99 = [t[3] / o[3] for o, t in zip(runs["rust"], runs["python"])]
p50 = [t[2] / o[2] for o, t in zip(runs["rust"], runs["python"])]
print("rounds' throughput ratios: " + ", ".join(f"{r:.1f}x" for r in tput))
print("rounds' p99 ratios:        " + ", ".join(f"1/{r:.1f}" for r in p99))
print(f"throughput ratio: median {statistics.median(tput):.1f}x, worst {min(tput):.1f}x (target >= 30x)")
print(f"p99 ratio: median 1/{statistics.median(p99):.1f}, worst 1/{min(p99):.1f} (target <= 1/20)   p50 ratio: median 1/{statistics.median(p50):.1f}")
for name in ("rust-batch", "python-batch"):
    print(f"{name:<14} batches of {n}: median {med(name, 1) * n:>8.0f} items/s (rounds: "
          + ", ".join(f"{r[1] * n:.0f}" for r in runs[name])
          + f"), p50 {med(name, 2):.1f} ms, p99 {med(name, 3):.1f} ms  {runs[name][-1][4]}")
worst_batch = min(r[1] for r in runs["rust-batch"]) * n
print(f"batch items/s target: >= 20000 (ours: worst round {worst_batch:.0f}, median ratio {med('rust-batch', 1) / med('python-batch', 1):.1f}x)")
PY
