"""How far can other model families, and blends of them, go on the benchmark's splits? An upper bound for issue 19.

Usage:
  python3 bench/model_ceiling.py SPLIT_DIR [SPLIT_DIR ...]     (each with train.csv and test.csv, as
                                                                 bench/model_ceiling.sh writes them)

Every model sees the same rows as `bench/model_bench.sh` (designation + " " + description; short titles: the
designation alone, cut at 100 characters). Models:

  svc_ref     word 1-2 + char_wb 2-5 TF-IDF + LinearSVC at scikit-learn's defaults: the benchmark's peer
  svc_tuned   the same family tuned: sublinear tf, char_wb 1-6 (min_df 2), rows L2-normalised, balanced, C = 0.5
  svc_chars   the tuned character n-grams alone
  svc_hashed  LinearSVC (C = 0.5, balanced) on features shaped like ours: word 1-2 and char_wb 2-5 hashed into 2^17
              buckets, sublinear TF-IDF per family, text cut at 1,000 characters
  logreg      multinomial logistic regression on the tuned features (C = 20, balanced)
  cnb         complement naive Bayes on the tuned features (alpha 0.3)
  knn         10 nearest training rows by cosine similarity, votes weighted by similarity³
  ngram_logreg  our default, when SPLIT_DIR/ngram_logreg.json holds its test probabilities (the Rust bench's
              `--probs-out`; bench/model_ceiling.sh writes it): log-probabilities as scores

Then every blend of two or three of them (scores standardised per row, weights 0.5 / 1 / 2 relative to the
first) is scored, and the best blend per view is chosen **on the test rows themselves**. That choice is an
oracle: no honest model selection can do better than it, so it bounds what an ensemble of these families gives.
"""

import itertools
import json
import os
import sys

import numpy as np

from model_bench import load  # the same rows, read the same way (bench/ is on the path when run as a script)


def standardised(s):
    s = s - s.mean(1, keepdims=True)
    return s / (s.std(1, keepdims=True) + 1e-9)


def knn_scores(test, train, onehot, k=10):
    sims = (test @ train.T).toarray()
    idx = np.argpartition(-sims, k, axis=1)[:, :k]
    top = np.take_along_axis(sims, idx, 1) ** 3
    votes = np.einsum("nk,nkc->nc", top, onehot[idx])
    return votes / np.maximum(votes.sum(1, keepdims=True), 1e-9)


def split_scores(split):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.preprocessing import normalize
    from sklearn.svm import LinearSVC

    des, desc, y = load(f"{split}/train.csv")
    t_des, t_desc, y_test = load(f"{split}/test.csv")
    y, y_test = np.asarray(y), np.asarray(y_test)
    x = [a + " " + b for a, b in zip(des, desc)]
    views = {"full": [a + " " + b for a, b in zip(t_des, t_desc)], "short": [a[:100] for a in t_des]}
    cut_views = {"full": [a + " " + b[:1000] for a, b in zip(t_des, t_desc)], "short": views["short"]}
    classes = np.unique(y)

    ref_word = TfidfVectorizer(ngram_range=(1, 2))
    ref_char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
    ref_x = hstack([ref_word.fit_transform(x), ref_char.fit_transform(x)]).tocsr()
    ref = LinearSVC().fit(ref_x, y)

    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 6), sublinear_tf=True, min_df=2)
    w, c = word.fit_transform(x), char.fit_transform(x)
    counts = hstack([w, c]).tocsr()
    both = normalize(counts)
    svc = LinearSVC(C=0.5, class_weight="balanced").fit(both, y)
    svc_chars = LinearSVC(C=0.5).fit(normalize(c), y)
    hashed_word = HashingVectorizer(ngram_range=(1, 2), n_features=1 << 17, alternate_sign=False, norm=None)
    hashed_char = HashingVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), n_features=1 << 17, alternate_sign=False, norm=None
    )
    idf_word, idf_char = TfidfTransformer(sublinear_tf=True), TfidfTransformer(sublinear_tf=True)
    cut = [a + " " + b[:1000] for a, b in zip(des, desc)]
    hashed = normalize(
        idf_word.fit_transform(hashed_word.transform(cut)) + idf_char.fit_transform(hashed_char.transform(cut))
    )
    svc_hashed = LinearSVC(C=0.5, class_weight="balanced").fit(hashed, y)
    logreg = LogisticRegression(C=20, max_iter=300, class_weight="balanced").fit(both, y)
    cnb = ComplementNB(alpha=0.3).fit(counts, y)
    onehot = (y[:, None] == classes[None, :]).astype(np.float32)

    out = {}
    for view, text in views.items():
        tw, tc = word.transform(text), char.transform(text)
        t_counts = hstack([tw, tc]).tocsr()
        t_both = normalize(t_counts)
        out[view] = {
            "svc_ref": ref.decision_function(hstack([ref_word.transform(text), ref_char.transform(text)]).tocsr()),
            "svc_tuned": svc.decision_function(t_both),
            "svc_chars": svc_chars.decision_function(normalize(tc)),
            "svc_hashed": svc_hashed.decision_function(
                normalize(
                    idf_word.transform(hashed_word.transform(cut_views[view]))
                    + idf_char.transform(hashed_char.transform(cut_views[view]))
                )
            ),
            "logreg": logreg.decision_function(t_both),
            "cnb": cnb.predict_joint_log_proba(t_counts),
            "knn": knn_scores(t_both, both, onehot),
        }
    ours = os.path.join(split, "ngram_logreg.json")
    if os.path.exists(ours):
        with open(ours) as f:
            saved = json.load(f)
        if list(saved["labels"]) != classes.tolist():
            sys.exit(f"{ours}: labels {saved['labels']} differ from the training rows' {classes.tolist()}")
        for view in views:
            out[view]["ngram_logreg"] = np.log(np.maximum(np.array(saved["views"][view]), 1e-12))
    return classes, y_test, out


def main():
    from sklearn.metrics import f1_score

    splits = sys.argv[1:]
    if not splits:
        sys.exit(__doc__)
    single, blends = {}, {}
    for split in splits:
        classes, truth, views = split_scores(split)
        f1 = lambda s: f1_score(truth, classes[s.argmax(1)], average="weighted")  # noqa: E731
        for view, scores in views.items():
            for name, s in scores.items():
                single.setdefault((view, name), []).append(f1(s))
            names = [n for n in scores if n != "svc_ref"]
            z = {n: standardised(s) for n, s in scores.items()}
            for size in (2, 3):
                for combo in itertools.combinations(names, size):
                    for ws in itertools.product((0.5, 1.0, 2.0), repeat=size - 1):
                        s = z[combo[0]] + sum(wt * z[n] for wt, n in zip(ws, combo[1:]))
                        blends.setdefault((view, combo, ws), []).append(f1(s))
        print(f"scored {split}", file=sys.stderr, flush=True)
    print(f"weighted F1 over {len(splits)} splits (mean ± std)")
    for view in ("full", "short"):
        peer = np.mean(single[(view, "svc_ref")])
        print(f"\n{view}: svc_ref {peer:.4f}; +2 points would be {peer + 0.02:.4f}")
        for (v, name), values in sorted(single.items(), key=lambda kv: -np.mean(kv[1])):
            if v == view:
                print(f"  {name:<10} {np.mean(values):.4f} ± {np.std(values):.4f}  ({np.mean(values) - peer:+.4f})")
        # Plain blends of our default with a LinearSVC, equal weights: no choice made on the test rows.
        for other in ("svc_tuned", "svc_hashed"):
            plain = blends.get((view, (other, "ngram_logreg"), (1.0,)))
            if plain:
                print(f"  blend 1·{other} + 1·ngram_logreg (fixed): {np.mean(plain):.4f} ({np.mean(plain) - peer:+.4f})")
        ranked = sorted(((np.mean(v), k) for k, v in blends.items() if k[0] == view), reverse=True)
        for mean, (_, combo, ws) in ranked[:3]:
            weights = " + ".join(f"{wt:g}·{n}" for wt, n in zip((1.0, *ws), combo))
            print(f"  oracle blend {weights}: {mean:.4f} ({mean - peer:+.4f})")


if __name__ == "__main__":
    main()
