"""scikit-learn references on the split written by the Rust bench (same rows on both sides).

Usage: python3 bench/model_bench.py SPLIT_DIR   (SPLIT_DIR/train.csv, SPLIT_DIR/test.csv in MERGED format)

Text is designation + " " + description, as given (scikit-learn's own lower-casing; no HTML stripping),
which is what the original system's baseline did.
"""

import sys
import time

import pandas as pd
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC


def load(path):
    df = pd.read_csv(path, keep_default_na=False, dtype={"designation": str, "description": str})
    return (df["designation"] + " " + df["description"]).tolist(), df["prdtypecode"].astype(int).tolist()


def tfidf_logreg(x_train, y_train, x_test):
    vec = TfidfVectorizer(max_features=5000, ngram_range=(1, 2))
    clf = LogisticRegression(class_weight="balanced", max_iter=1000)
    clf.fit(vec.fit_transform(x_train), y_train)
    return clf.predict(vec.transform(x_test))


def word_char_svc(x_train, y_train, x_test):
    word = TfidfVectorizer(ngram_range=(1, 2))
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))
    x = hstack([word.fit_transform(x_train), char.fit_transform(x_train)]).tocsr()
    clf = LinearSVC()
    clf.fit(x, y_train)
    return clf.predict(hstack([word.transform(x_test), char.transform(x_test)]).tocsr())


def main():
    split = sys.argv[1]
    x_train, y_train = load(f"{split}/train.csv")
    x_test, y_test = load(f"{split}/test.csv")
    for name, fit_predict in [("sk_tfidf_logreg", tfidf_logreg), ("sk_word_char_svc", word_char_svc)]:
        started = time.perf_counter()
        predicted = fit_predict(x_train, y_train, x_test)
        seconds = time.perf_counter() - started
        print(
            f"{name:<17} {f1_score(y_test, predicted, average='weighted'):>11.4f} "
            f"{f1_score(y_test, predicted, average='macro'):>9.4f} {'':>9} {seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
