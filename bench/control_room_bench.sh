#!/usr/bin/env bash
# Control room pages with 1,000,000 logged predictions: time at the server (Server-Timing), median and p95 of
# ROUNDS requests per page, beside the same pages on an empty log.
#
#   bash bench/control_room_bench.sh          # ROWS=1000000 ROUNDS=20; PROFILE=release for a release build
#
# Uses the real sample ($RAKUTEN_SHARED_DIR/data/rakuten_sample.csv, else ../shared beside the repo), a temporary
# folder (about 1.5 GB of SQLite at a million rows, removed at the end) and the `temporal` CLI.
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
python3 "$root/bench/control_room_bench.py" --bin "$target/$dir/rakuten" \
    --sample "$shared/data/rakuten_sample.csv" --rows "${ROWS:-1000000}" --rounds "${ROUNDS:-20}"
