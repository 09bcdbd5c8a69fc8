#!/usr/bin/env bash
# A drift check over 1,000,000 logged inferences in bounded memory: peak RSS and time of `rakuten drift check`
# over a window of ROWS predictions beside one of SMALL (the sampling cap), median of ROUNDS runs each.
#
#   bash bench/drift_window_bench.sh          # ROWS=1000000 SMALL=20000 ROUNDS=3; PROFILE=release for a release build
#
# Uses the real sample ($RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared beside the repo), a temporary
# folder (about 1.5 GB of SQLite at a million rows, removed at the end) and the `temporal` CLI (`up --once`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${RAKUTEN_SHARED_DIR:-$root/../shared}"
profile="${PROFILE:-dev}"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"
cargo build --quiet --profile "$profile" -p rakuten
dir=debug
[ "$profile" = dev ] || dir="$profile"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$root/bench/drift_window_bench.py" --bin "$target/$dir/rakuten" \
    --sample "$shared/data/rakuten_sample.csv" \
    --rows "${ROWS:-1000000}" --small "${SMALL:-20000}" --rounds "${ROUNDS:-3}"
