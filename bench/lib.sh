# Shared by the benchmark scripts (sourced): where the repository and the sample are, and a scratch folder that
# is removed at exit together with the processes the script started (append their pids to `pids`).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${RAKUTEN_SHARED_DIR:-$root/../shared}"
sample="$shared/data/rakuten_sample.csv"
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The Rust model benchmark (activities/model/examples/bench.rs, release), built when needed: sets $bench.
model_bench_binary() {
    (cd "$root" && cargo build --quiet --release -p model --example bench)
    bench="${CARGO_TARGET_DIR:-$root/target}/release/examples/bench"
}

# scikit-learn and pandas for the Python peers (installed once, from PyPI).
need_sklearn() {
    python3 -c "import sklearn, pandas, scipy" 2>/dev/null && return
    echo "installing scikit-learn and pandas" >&2
    python3 -m pip install --quiet scikit-learn pandas >&2 \
        || python3 -m pip install --quiet --break-system-packages scikit-learn pandas >&2
}

# A wrk Lua script POSTing N products of the sample as JSON bodies (designation + description, spread over the
# file, varied: not one body repeated), cycling; each wrk thread starts at another product.
write_bodies_lua() { # N OUT
    python3 - "$sample" "$1" "$2" <<'PY'
import csv, json, sys
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(path, encoding="utf-8")))
step = max(1, len(rows) // n)
picked = rows[::step][:n]
with open(out, "w", encoding="utf-8") as f:
    f.write("local bodies = {\n")
    for r in picked:
        body = json.dumps({"designation": r["designation"], "description": r.get("description") or ""})
        assert "]==]" not in body
        f.write("  [==[" + body + "]==],\n")
    f.write("}\nlocal threads = 0\nfunction setup(thread)\n  threads = threads + 1\n")
    f.write("  thread:set('start', threads * 997)\nend\n")
    f.write("local i = nil\nwrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n")
    f.write("request = function()\n  i = ((i or start or 0) % #bodies) + 1\n")
    f.write("  return wrk.format(nil, nil, nil, bodies[i])\nend\n")
PY
}
