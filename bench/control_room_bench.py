#!/usr/bin/env python3
"""Control room pages with a large inference log: the time each page takes at the server (its `Server-Timing`
header, `app;dur=`), median and p95 of --rounds requests per page, with --rows logged predictions (default
1,000,000), beside the same pages on an empty log.

Setup (not timed): `rakuten up --once` on the real sample in a temporary folder (SQLite, local artifacts, a
Temporal dev server of its own) gives data, a dataset version, a trained and registered model and a run; a
Temporal dev server is then started again on the same database, and `rakuten control-room` runs against both.
The predictions are written into the inference log as the service writes them (varied real products of the
sample, over the last day; `drift_window_bench.log_predictions`).

    python3 bench/control_room_bench.py --bin target/release/rakuten --sample ../shared/data/rakuten_sample.csv
"""
import argparse
import datetime
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drift_window_bench import free_port, log_predictions  # noqa: E402


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        r.read()
        timing = r.headers.get("server-timing", "")
        return r.status, float(timing.split("dur=")[1]) if "dur=" in timing else float("nan")


def wait_for(url, what, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{what} did not answer at {url}")


def measure(base, paths, rounds):
    out = {}
    for name, path in paths:
        get(base + path)  # warm (connection, Temporal client)
        ms = []
        for _ in range(rounds):
            status, dur = get(base + path)
            if status != 200:
                sys.exit(f"{path}: {status}")
            ms.append(dur)
        ms.sort()
        out[name] = (statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="control-room-bench-")
    env = dict(os.environ, RAKUTEN_DATABASE_URL=f"sqlite://{tmp}/rakuten.db",
               RAKUTEN_ARTIFACTS=f"{tmp}/artifacts", RUST_LOG="warn")
    temporal_port = free_port()
    print(f"setting up in {tmp}: rakuten up --once on {args.sample}", file=sys.stderr)
    subprocess.run(
        [binary, "up", "--once", "--csv", os.path.abspath(args.sample), "--http-port", "0", "--grpc-port", "0",
         "--control-room-port", "0", "--temporal-address", f"127.0.0.1:{temporal_port}",
         "--temporal-ui-port", str(free_port())],
        cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    procs = []
    try:
        procs.append(subprocess.Popen(
            ["temporal", "server", "start-dev", "--headless", "--port", str(temporal_port), "--db-filename",
             f"{tmp}/temporal.db", "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        port = free_port()
        procs.append(subprocess.Popen(
            [binary, "control-room", "--port", str(port), "--temporal-address", f"127.0.0.1:{temporal_port}"],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz", "the control room")
        db = sqlite3.connect(f"{tmp}/rakuten.db")
        version = db.execute("SELECT max(version) FROM model_versions").fetchone()[0]
        products = db.execute("SELECT designation, description, prdtypecode FROM source_rows").fetchall()
        paths = [
            ("home", "/"), ("infrastructure", "/infrastructure"), ("dataset", "/dataset"),
            ("dataset search", "/dataset?q=jeu"), ("training", "/training"), ("monitoring", "/monitoring"),
            ("predictions", "/predictions"), ("predictions class=2583", "/predictions?class=2583"),
            (f"predictions version={version}", f"/predictions?version={version}"),
            ("predictions one day", "/predictions?since=" + datetime.date.today().isoformat()),
        ]
        empty = measure(base, paths, args.rounds)
        now = datetime.datetime.now(datetime.timezone.utc)
        print(f"logging {args.rows:,} predictions of {len(products):,} products", file=sys.stderr)
        log_predictions(db, version, products, args.rows, now - datetime.timedelta(hours=23),
                        now - datetime.timedelta(minutes=1), seed=3)
        # A deep page: the cursor after the 500,000th newest row.
        at, pid = db.execute("SELECT at, prediction_id FROM inference_log ORDER BY at DESC, prediction_id DESC "
                             "LIMIT 1 OFFSET 500000").fetchone()
        dt = datetime.datetime.fromisoformat(at).isoformat()
        paths.append(("predictions, page at row 500,000",
                      "/predictions?before=" + urllib.request.quote(f"{dt}|{pid}")))
        empty["predictions, page at row 500,000"] = (float("nan"), float("nan"))
        full = measure(base, paths, args.rounds)
        rows = db.execute("SELECT COUNT(*) FROM inference_log").fetchone()[0]
        print(f"control room pages at the server (Server-Timing), median / p95 of {args.rounds} requests; "
              f"SQLite, {rows:,} logged predictions beside an empty log")
        print(f"{'page':<36} {'empty log':>18} {f'{rows:,} rows':>20}")
        for name, _ in paths:
            e, f = empty[name], full[name]
            before = "–" if e[0] != e[0] else f"{e[0]:>7.1f} / {e[1]:>6.1f} ms"
            print(f"{name:<36} {before:>18} {f[0]:>9.1f} / {f[1]:>6.1f} ms")
        worst = max(f[1] for f in full.values())
        print(f"slowest p95 with {rows:,} rows: {worst:.1f} ms (target: under 100 ms)")
        print(json.dumps({"rows": rows, "pages": {n: {"median_ms": full[n][0], "p95_ms": full[n][1]}
                                                  for n, _ in paths}}))
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
