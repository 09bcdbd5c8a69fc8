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
