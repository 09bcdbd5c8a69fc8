#!/usr/bin/env python3
"""A drift check over a large inference log, in bounded memory: `rakuten drift check` over a window of
--rows logged predictions (default 1,000,000) beside the same check over a window of --small rows (default
20,000, the sampling cap), peak resident memory and wall time of each, median of --rounds runs.

Setup (not timed): `rakuten up --once` on the real sample in a temporary folder (SQLite, local artifacts, a
Temporal dev server of its own) gives a Production model trained on a dataset version; the predictions are then
written into the inference log as the service writes them: varied real products of the sample (each a product
of the pool, texts cut at 1,000 characters), labelled with the newest registered version, spread over the last day.

    python3 bench/drift_window_bench.py --bin target/debug/rakuten --sample ../shared/data/rakuten_sample.csv
"""
import argparse
import datetime
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile

MAX_LOGGED_CHARS = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(t):
    # As sqlx writes a DateTime<Utc> into SQLite (RFC 3339, "+00:00").
    return t.isoformat(timespec="microseconds")


def log_predictions(db, version, products, rows, start, end, seed):
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    batch = []

    def flush():
        db.executemany(
            "INSERT INTO inference_log (prediction_id, at, model_name, model_version, designation, description, "
            "imageid, text_len_chars, word_count, has_description, predicted_class, confidence, latency_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
        batch.clear()

    for i in range(rows):
        designation, description, label = products[rng.randrange(len(products))]
        at = start + datetime.timedelta(seconds=rng.random() * span)
        batch.append((
            f"bench-{seed}-{i}", stamp(at), "rakuten_classifier", str(version),
            designation[:MAX_LOGGED_CHARS], description[:MAX_LOGGED_CHARS], None,
            len(designation) + len(description),
            len(designation.split()) + len(description.split()),
            int(bool(description.strip())), label, round(rng.betavariate(5, 2), 4), round(rng.uniform(0.2, 3), 3),
        ))
        if len(batch) == 20_000:
            flush()
    flush()
    db.commit()


def check(binary, env, cwd):
    """One `rakuten drift check --since 24h` under /usr/bin/time: (peak RSS in MiB, seconds, rows compared)."""
    out = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %M %e", binary, "--json", "drift", "check", "--since", "24h"],
        cwd=cwd, env=env, capture_output=True, text=True,
    )
    if out.returncode != 0:
        sys.exit(f"drift check failed: {out.stderr[-2000:]}")
    line = [l for l in out.stderr.splitlines() if l.startswith("TIME ")][-1]
    _, kib, seconds = line.split()
    import json
    report = json.loads(out.stdout)
    return int(kib) / 1024, float(seconds), report["record"]["current_rows"], report


def rounds(binary, env, cwd, n):
    runs = [check(binary, env, cwd) for _ in range(n)]
    rss = statistics.median(r[0] for r in runs)
    secs = statistics.median(r[1] for r in runs)
    return rss, secs, runs[-1][2], runs[-1][3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="drift-window-")
    env = dict(os.environ,
               RAKUTEN_DATABASE_URL=f"sqlite://{tmp}/rakuten.db",
               RAKUTEN_ARTIFACTS=f"{tmp}/artifacts",
               RUST_LOG="warn")
    print(f"setting up in {tmp}: rakuten up --once on {args.sample}", file=sys.stderr)
    subprocess.run(
        [binary, "up", "--once", "--csv", os.path.abspath(args.sample), "--http-port", "0", "--grpc-port", "0",
         "--temporal-address", f"127.0.0.1:{free_port()}", "--temporal-ui-port", str(free_port())],
        cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    db = sqlite3.connect(f"{tmp}/rakuten.db")
    # The newest version (on the sample the first model is below the 0.75 bar, so not in Production).
    version = db.execute("SELECT max(version) FROM model_versions").fetchone()[0]
    products = db.execute("SELECT designation, description, prdtypecode FROM source_rows").fetchall()
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(hours=23), now - datetime.timedelta(minutes=5)

    print(f"logging {args.small:,} predictions of {len(products):,} products", file=sys.stderr)
    log_predictions(db, version, products, args.small, start, end, seed=1)
    small = rounds(binary, env, tmp, args.rounds)
    print(f"logging {args.rows - args.small:,} more", file=sys.stderr)
    log_predictions(db, version, products, args.rows - args.small, start, end, seed=2)
    size = os.path.getsize(f"{tmp}/rakuten.db") / 2**30
    large = rounds(binary, env, tmp, args.rounds)

    print(f"drift check over the inference log (SQLite, {size:.2f} GiB), median of {args.rounds} runs; "
          f"reference: {large[3]['report']['reference']['source']}")
    print(f"{'window':>12} {'compared':>9} {'peak RSS':>10} {'time':>8}")
    for name, (rss, secs, rows, report) in (("small", small), ("large", large)):
        window = report["report"]["current"]["window_rows"]
        compared = report["report"]["current"]["compared_rows"]
        print(f"{window:>12,} {compared:>9,} {rss:>7.0f} MiB {secs:>6.2f} s")
    print(f"peak RSS ratio large/small: {large[0] / small[0]:.2f} for {args.rows / args.small:.0f}x the rows")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
