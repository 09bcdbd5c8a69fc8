#!/usr/bin/env python3
"""Helper of bench/drift_bench.sh.

generate: writes reference.csv and current.csv (numeric, categorical and text columns) from the
          real titles in ../shared/data/rakuten_sample.csv (synthetic words if it is absent).
evidently: times Evidently's legacy DataDriftPreset report (run + JSON + HTML) on those files
          and writes to --result {"seconds": ..., "columns": {...}, "share": ..., "dataset_drift": ...}.
compare:  prints both times, the speed-up and whether the per-column decisions agree.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

NUMERIC = ["text_len_chars", "word_count", "confidence", "has_description"]
CATEGORICAL = ["predicted_class"]
TEXT = ["designation"]


def source_rows(sample_csv, rng):
    if sample_csv and os.path.exists(sample_csv):
        df = pd.read_csv(sample_csv)
        return pd.DataFrame({
            "designation": df["designation"].fillna("").astype(str),
            "has_description": df["description"].notna().astype(int),
            "predicted_class": df["prdtypecode"].astype(str),
        })
    words = [f"mot{i}" for i in range(3000)]
    classes = [str(c) for c in (10, 40, 50, 60, 1140, 1160, 1180, 1280, 1300, 2583)]
    n = 7000
    return pd.DataFrame({
        "designation": [" ".join(rng.choice(words, rng.integers(3, 15))) for _ in range(n)],
        "has_description": rng.integers(0, 2, n),
        "predicted_class": rng.choice(classes, n),
    })


def draw(src, rows, rng, class_weights, conf_a):
    w = src["predicted_class"].map(class_weights).fillna(1.0).to_numpy(dtype=float)
    idx = rng.choice(len(src), size=rows, replace=True, p=w / w.sum())
    out = src.iloc[idx].reset_index(drop=True)
    title = out["designation"]
    df = pd.DataFrame({
        "text_len_chars": title.str.len().astype(float),
        "word_count": title.str.split().str.len().astype(float),
        "confidence": np.round(rng.beta(conf_a, 2.0, rows), 4),
        "has_description": out["has_description"].astype(float),
        "predicted_class": out["predicted_class"],
        "designation": title,
    })
    # A few missing values, as in a real inference log.
    df.loc[rng.random(rows) < 0.01, "confidence"] = np.nan
    return df


def generate(args):
    rng = np.random.default_rng(args.seed)
    src = source_rows(args.sample, rng)
    classes = sorted(src["predicted_class"].unique())
    ref = draw(src, args.rows, rng, {}, 5.0)
    shifted = {c: (3.0 if i % 4 == 0 else 1.0) for i, c in enumerate(classes)}
    cur = draw(src, args.rows, rng, shifted, 4.0)
    os.makedirs(args.out, exist_ok=True)
    ref.to_csv(os.path.join(args.out, "reference.csv"), index=False)
    cur.to_csv(os.path.join(args.out, "current.csv"), index=False)


def read(path):
    return pd.read_csv(path, dtype={"predicted_class": str, "designation": str}, keep_default_na=False,
                       na_values={c: [""] for c in NUMERIC})


def evidently(args):
    from evidently.legacy.metric_preset import DataDriftPreset
    from evidently.legacy.pipeline.column_mapping import ColumnMapping
    from evidently.legacy.report import Report

    ref, cur = read(os.path.join(args.data, "reference.csv")), read(os.path.join(args.data, "current.csv"))
    mapping = ColumnMapping(target=None, prediction=None, numerical_features=NUMERIC,
                            categorical_features=CATEGORICAL, text_features=TEXT)
    start, cpu_start = time.perf_counter(), time.process_time()
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
    result = report.as_dict()
    report.save_json(os.path.join(args.out, "evidently.json"))
    report.save_html(os.path.join(args.out, "evidently.html"))
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    table = next(m["result"] for m in result["metrics"] if "drift_by_columns" in m["result"])
    columns = {name: {"stattest": c["stattest_name"], "drift_score": c["drift_score"],
                      "drift_detected": c["drift_detected"]}
               for name, c in table["drift_by_columns"].items()}
    with open(args.result, "w") as f:
        json.dump({"seconds": seconds, "cpu_seconds": cpu_seconds, "columns": columns,
                   "share": table["share_of_drifted_columns"], "dataset_drift": table["dataset_drift"]}, f)


def compare(args):
    ours = [json.load(open(p)) for p in args.ours]
    theirs = json.load(open(args.evidently))
    times = sorted(o["seconds"] for o in ours)
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    print(f"rows: {args.rows} reference + {args.rows} current "
          f"(numeric: {', '.join(NUMERIC)}; categorical: {CATEGORICAL[0]}; text: {TEXT[0]})")
    print(f"evidently (legacy DataDriftPreset, run + json + html): {theirs['seconds']:.2f} s")
    print(f"drift crate (compute + json + html), {len(times)} runs: "
          + ", ".join(f"{t:.3f}" for t in times) + f" s; median {median:.3f} s")
    print(f"speed-up (evidently / median): {theirs['seconds'] / median:.1f}x")
    cpus = sorted(o["cpu_seconds"] for o in ours if o.get("cpu_seconds") is not None)
    if cpus:
        cpu_median = cpus[len(cpus) // 2] if len(cpus) % 2 else (cpus[len(cpus) // 2 - 1] + cpus[len(cpus) // 2]) / 2
        print(f"cpu time: evidently {theirs['cpu_seconds']:.2f} s, ours median {cpu_median:.2f} s "
              f"(all threads; 10 ms resolution): {theirs['cpu_seconds'] / max(cpu_median, 0.01):.1f}x less")
    print(f"{'column':<18}{'test':<32}{'evidently':>12}{'ours':>12}  decision")
    for name, e in theirs["columns"].items():
        o = ours[0]["columns"].get(name, {})
        same = "same" if o.get("drift_detected") == e["drift_detected"] else "DIFFERENT"
        fmt = lambda v: "n/a" if v is None else f"{v:.6f}"
        print(f"{name:<18}{e['stattest']:<32}{fmt(e['drift_score']):>12}{fmt(o.get('drift_score')):>12}"
              f"  {same} ({'drift' if e['drift_detected'] else 'no drift'})")
    print(f"dataset drift: evidently {theirs['dataset_drift']} (share {theirs['share']}), "
          f"ours {ours[0]['dataset_drift']} (share {ours[0]['share']})")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--out", required=True)
    g.add_argument("--rows", type=int, default=100_000)
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--sample", default="")
    e = sub.add_parser("evidently")
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--result", required=True, help="where to write the timing JSON")
    c = sub.add_parser("compare")
    c.add_argument("--ours", nargs="+", required=True)
    c.add_argument("--evidently", required=True)
    c.add_argument("--rows", type=int, default=100_000)
    args = p.parse_args()
    {"generate": generate, "evidently": evidently, "compare": compare}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
