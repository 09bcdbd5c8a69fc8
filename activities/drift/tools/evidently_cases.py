#!/usr/bin/env python3
"""Random drift cases computed with Evidently, in the fixture format of ../shared/fixtures/drift.

    python3 activities/drift/tools/evidently_cases.py tabular OUT_DIR N SEED
    python3 activities/drift/tools/evidently_cases.py text OUT_DIR N SEED [SAMPLE_CSV]
    cargo run -p drift --example run_fixture -- --check OUT_DIR/*.json

`tabular` draws numerical and categorical columns of many shapes (continuous, few values,
constants, missing values, unseen categories, samples around 1000 and above 10,000 values,
per-column PSI / Jensen-Shannon); `text` draws titles from the Rakuten sample with and without a
class-mix shift (Evidently's AUC is kept under `evidently_auc`). Needs evidently and pandas<3.
Development aid: the cases are written to OUT_DIR, never into the repository.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
from evidently.legacy.metric_preset import DataDriftPreset  # noqa: E402
from evidently.legacy.pipeline.column_mapping import ColumnMapping  # noqa: E402
from evidently.legacy.report import Report  # noqa: E402

NAME2ID = {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z",
           "Wasserstein distance (normed)": "wasserstein", "Jensen-Shannon distance": "jensenshannon",
           "PSI": "psi"}


def drift_table(ref, cur, num, cat, text, per_col=None):
    mapping = ColumnMapping(target=None, prediction=None, numerical_features=num,
                            categorical_features=cat, text_features=text)
    rep = Report(metrics=[DataDriftPreset(per_column_stattest=per_col) if per_col else DataDriftPreset()])
    rep.run(reference_data=ref, current_data=cur, column_mapping=mapping)
    return next(m["result"] for m in rep.as_dict()["metrics"] if "drift_by_columns" in m["result"])


def to_json_values(series):
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in series.tolist()]


def tabular_case(rng):
    nr = int(rng.choice([int(rng.integers(5, 60)), int(rng.integers(60, 1000)), int(rng.integers(900, 1100)),
                         int(rng.integers(1000, 4000)), 12000 if rng.random() < 0.1 else 500]))
    nc = int(rng.choice([int(rng.integers(5, 60)), int(rng.integers(60, 1500)), int(rng.integers(1000, 4000)),
                         10500 if rng.random() < 0.1 else 400]))
    cols, num, cat, per_col, ref, cur = {}, [], [], {}, {}, {}
    for j in range(int(rng.integers(1, 5))):
        kind = rng.choice(["cont", "few", "const", "cat", "catfew", "int"])
        name = f"c{j}_{kind}"
        shift = rng.choice([0, 0, 0.05, 0.3])
        if kind == "cont":
            r = rng.normal(0, 1, nr).round(int(rng.integers(1, 5))); c = rng.normal(shift, 1, nc).round(3)
        elif kind == "int":
            r = rng.poisson(30, nr).astype(float); c = rng.poisson(30 * (1 + shift), nc).astype(float)
        elif kind == "few":
            k = int(rng.integers(2, 6)); r = rng.integers(0, k, nr).astype(float); c = rng.integers(0, k, nc).astype(float)
        elif kind == "const":
            r = np.full(nr, 3.0); c = np.full(nc, rng.choice([3.0, 4.0]))
        elif kind == "cat":
            k = int(rng.integers(3, 30)); r = rng.integers(0, k, nr); c = rng.integers(0, k + int(rng.integers(0, 2)), nc)
        else:
            r = rng.integers(0, 2, nr); c = rng.integers(0, 2, nc)
        if kind.startswith("cat"):
            r = [f"k{v}" for v in r]; c = [f"k{v}" for v in c]
            if rng.random() < 0.3:
                r = [None if rng.random() < 0.1 else v for v in r]
            cat.append(name); typ = "categorical"
            ref[name] = pd.Series(r, dtype=object); cur[name] = pd.Series(c, dtype=object)
        else:
            r = list(r)
            if rng.random() < 0.3:
                r = [np.nan if rng.random() < 0.1 else v for v in r]
            num.append(name); typ = "numerical"
            ref[name] = pd.Series(r, dtype=float); cur[name] = pd.Series(list(c), dtype=float)
        if rng.random() < 0.25:
            per_col[name] = str(rng.choice(["psi", "jensenshannon"]))
        cols[name] = {"type": typ, "reference": to_json_values(ref[name]), "current": to_json_values(cur[name])}
    table = drift_table(pd.DataFrame(ref), pd.DataFrame(cur), num, cat, [], per_col)
    expected = {name: {"stattest_name": c["stattest_name"], "stattest": NAME2ID[c["stattest_name"]],
                       "threshold": c["stattest_threshold"], "drift_score": c["drift_score"],
                       "drift_detected": c["drift_detected"], "compare": "score_and_decision"}
                for name, c in table["drift_by_columns"].items()}
    dataset = {k: table[k] for k in ["number_of_columns", "number_of_drifted_columns",
                                     "share_of_drifted_columns", "dataset_drift"]}
    return {"options": {"per_column_stattest": per_col} if per_col else None, "columns": cols,
            "expected": expected, "dataset": dataset}


def text_case(rng, titles, classes):
    nr = int(rng.choice([300, 800, 1000, 1500, 3000])); nc = int(rng.choice([300, 800, 1500, 3000]))
    mode = rng.choice(["same", "same", "mild", "shift"])
    w = np.ones(len(titles))
    if mode != "same":
        boost = rng.choice(np.unique(classes), 5, replace=False)
        w = np.where(np.isin(classes, boost), 1.6 if mode == "mild" else 6.0, 1.0)
    r = titles[rng.choice(len(titles), nr)]; c = titles[rng.choice(len(titles), nc, p=w / w.sum())]
    table = drift_table(pd.DataFrame({"t": pd.Series(r, dtype=object)}),
                        pd.DataFrame({"t": pd.Series(c, dtype=object)}), [], [], ["t"])
    e = table["drift_by_columns"]["t"]
    stattest = "perc_text_content_drift" if nr <= 1000 else "abs_text_content_drift"
    expected = {"t": {"stattest_name": e["stattest_name"], "stattest": stattest,
                      "threshold": e["stattest_threshold"], "drift_score": None,
                      "drift_detected": e["drift_detected"], "compare": "decision_only",
                      "evidently_auc": e["drift_score"]}}
    return {"options": None, "columns": {"t": {"type": "text", "reference": list(r), "current": list(c)}},
            "expected": expected}


def main():
    kind, out, n, seed0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(out, exist_ok=True)
    if kind == "text":
        sample = sys.argv[5] if len(sys.argv) > 5 else os.path.join(
            os.path.dirname(__file__), "../../../../shared/data/rakuten_sample.csv")
        src = pd.read_csv(sample)
        titles, classes = src["designation"].astype(str).to_numpy(), src["prdtypecode"].to_numpy()
    for case in range(n):
        rng = np.random.default_rng(seed0 + case)
        name = f"{kind}_{seed0 + case}"
        try:
            fx = text_case(rng, titles, classes) if kind == "text" else tabular_case(rng)
        except Exception as e:  # Evidently fails on some inputs (e.g. empty vocabulary)
            print(f"{name}: evidently failed: {e!r}"[:200], file=sys.stderr)
            continue
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump({"case": name, **fx}, f)


if __name__ == "__main__":
    main()
