"""scikit-learn references on the split written by the Rust bench (same rows on both sides), and the summary.

Usage:
  python3 bench/model_bench.py SPLIT_DIR [--seed N] [--json-out FILE]   (SPLIT_DIR/train.csv, SPLIT_DIR/test.csv)
  python3 bench/model_bench.py --summary FILE                            (mean ± std per model and view)

Text is designation + " " + description, as given (scikit-learn's own lower-casing; no HTML stripping), which is
what the original system's baseline did. Two views of the test rows are scored: the full text, and short titles
(the designation alone, cut at 100 characters). `sk_word_char_svc_aug` is LinearSVC trained on the training rows
plus one short copy of each (the designation cut at a random 20-100 characters): the same augmentation idea as
the Rust default's, so that the comparison on short titles is fair.
"""

import json
import math
import random
import statistics
import sys
import time
from collections import defaultdict

SHORT_TITLE_CHARS = 100


def load(path):
    import pandas as pd

    df = pd.read_csv(path, keep_default_na=False, dtype={"designation": str, "description": str})
    return df["designation"].tolist(), df["description"].tolist(), df["prdtypecode"].astype(int).tolist()


def tfidf_logreg(x_train, y_train):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(max_features=5000, ngram_range=(1, 2))
    clf = LogisticRegression(class_weight="balanced", max_iter=1000)
    clf.fit(vec.fit_transform(x_train), y_train)
    return lambda x: clf.predict(vec.transform(x))


def word_char_svc(x_train, y_train):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    word = TfidfVectorizer(ngram_range=(1, 2))
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
    x = hstack([word.fit_transform(x_train), char.fit_transform(x_train)]).tocsr()
    clf = LinearSVC()
    clf.fit(x, y_train)
    return lambda t: clf.predict(hstack([word.transform(t), char.transform(t)]).tocsr())


def references(split, seed, json_out):
    from sklearn.metrics import f1_score

    des, desc, y_train = load(f"{split}/train.csv")
    x_train = [a + " " + b for a, b in zip(des, desc)]
    t_des, t_desc, y_test = load(f"{split}/test.csv")
    views = {
        "full": [a + " " + b for a, b in zip(t_des, t_desc)],
        "short": [a[:SHORT_TITLE_CHARS] for a in t_des],
    }
    rng = random.Random(seed)
    x_aug = x_train + [a[: rng.randint(20, SHORT_TITLE_CHARS)] for a in des]
    y_aug = y_train + y_train
    models = [
        ("sk_tfidf_logreg", tfidf_logreg, x_train, y_train),
        ("sk_word_char_svc", word_char_svc, x_train, y_train),
        ("sk_word_char_svc_aug", word_char_svc, x_aug, y_aug),
    ]
    for name, fit, x, y in models:
        started = time.perf_counter()
        predict = fit(x, y)
        seconds = time.perf_counter() - started
        for view, x_test in views.items():
            predicted = predict(x_test)
            row = {
                "model": name,
                "split_seed": seed,
                "view": view,
                "f1_weighted": f1_score(y_test, predicted, average="weighted"),
                "f1_macro": f1_score(y_test, predicted, average="macro"),
                "train_s": seconds,
            }
            print(f"{name:<21} {view:>6} {row['f1_weighted']:>11.4f} {row['f1_macro']:>9.4f} {seconds:>8.2f}")
            if json_out:
                with open(json_out, "a") as f:
                    f.write(json.dumps(row) + "\n")


def binomial_mad(n, p):
    """E|X - np| for X ~ Binomial(n, p) (de Moivre's closed form)."""
    if n == 0 or p <= 0 or p >= 1:
        return 0.0
    k = math.floor(n * p)
    log = (n - k) * math.log1p(-p) + (k + 1) * math.log(p) + math.lgamma(n + 1) - math.lgamma(k + 2) - math.lgamma(n - k)
    return 2 * (k + 1) * math.exp(log)


def calibrated_ece(bins):
    """About the ECE a perfectly calibrated model with these confidences would show on this many rows (expected
    value): in each bin the right answers are then a sum of Bernoulli draws at the rows' confidences, taken here as
    Binomial(rows, mean confidence) (bins are 1/15 wide), and |right - confidence| is that binomial's mean absolute
    deviation. The noise floor against which a per-seed ECE is read."""
    n = sum(bins["count"])
    gaps = sum(binomial_mad(c, s / c) for c, s in zip(bins["count"], bins["confidence"]) if c)
    return gaps / max(n, 1)


def summary(path):
    groups = defaultdict(list)
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            groups[(r["model"], r["view"])].append(r)

    def ms(values, fmt):
        if len(values) < 2:
            return f"{values[0]:{fmt}}" + " " * 9
        return f"{statistics.mean(values):{fmt}} ± {statistics.stdev(values):{fmt}}"

    def pooled(rows, key):
        # ECE over the test rows of every seed at once, from the bins each run reports (sums of rows, confidence
        # and right answers per bin): one seed's 1,342 rows alone put about 0.025 of sampling noise into it.
        bins = [r[key] for r in rows if key in r]
        if not bins:
            return ""
        n = sum(sum(b["count"]) for b in bins)
        gaps = [
            abs(sum(b["correct"][k] for b in bins) - sum(b["confidence"][k] for b in bins))
            for k in range(len(bins[0]["count"]))
        ]
        return f"{sum(gaps) / max(n, 1):.4f}"

    def floor(rows):
        # What a perfectly calibrated model would show: per seed (mean) and pooled.
        bins = [r["ece_bins"] for r in rows if "ece_bins" in r]
        if not bins:
            return ""
        pooled_bins = {k: [sum(b[k][i] for b in bins) for i in range(len(bins[0][k]))] for k in ("count", "confidence")}
        return f"{statistics.mean(calibrated_ece(b) for b in bins):.4f}/{calibrated_ece(pooled_bins):.4f}"

    print(
        f"{'model':<21} {'view':>6} {'seeds':>5} {'f1_weighted':>17} {'f1_macro':>17} {'train_s':>13} "
        f"{'ece (per seed)':>15} {'ece raw/pooled':>15} {'if calibrated':>14}"
    )
    for (model, view), rows in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ece = [r["ece"] for r in rows if "ece" in r]
        both = f"{pooled(rows, 'ece_bins_raw')}/{pooled(rows, 'ece_bins')}" if ece else ""
        print(
            f"{model:<21} {view:>6} {len(rows):>5} {ms([r['f1_weighted'] for r in rows], '.4f'):>17} "
            f"{ms([r['f1_macro'] for r in rows], '.4f'):>17} {ms([r['train_s'] for r in rows], '.2f'):>13} "
            f"{ms(ece, '.4f') if ece else '':>15} {both:>15} {floor(rows):>14}"
        )


def main():
    args = sys.argv[1:]
    if args[:1] == ["--summary"]:
        summary(args[1])
        return
    split, seed, json_out = args[0], 0, None
    rest = args[1:]
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--seed":
            seed = int(value)
        elif flag == "--json-out":
            json_out = value
        else:
            sys.exit(f"unknown argument {flag}")
    references(split, seed, json_out)


if __name__ == "__main__":
    main()
