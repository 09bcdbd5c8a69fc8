"""Baseline difficulty of the synthetic catalogue: how separable are the 27 classes?

Usage: python bench/generator_check.py DIR

DIR holds the X_train.csv / Y_train.csv pair written by `data::generate::write_challenge_files`
(e.g. 20,000 rows). Needs pandas and scikit-learn. On 20,000 rows (seeds 1 and 2) the SVC scores
about 0.85 weighted F1 and the logistic regression about 0.84; on the real 6,698-row sample, 0.77 and 0.65.
"""
import sys

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC


def main(directory: str) -> None:
    x = pd.read_csv(f"{directory}/X_train.csv", index_col=0, keep_default_na=False)
    y = pd.read_csv(f"{directory}/Y_train.csv", index_col=0)["prdtypecode"]
    text = x["designation"] + " " + x["description"]
    train_x, test_x, train_y, test_y = train_test_split(
        text, y, test_size=0.2, stratify=y, random_state=0
    )
    models = {
        "tfidf word(1,2)+char_wb(2,5) + LinearSVC": make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
            LinearSVC(),
        ),
        "tfidf max_features=5000 (1,2) + LogisticRegression": make_pipeline(
            TfidfVectorizer(max_features=5000, ngram_range=(1, 2)),
            LogisticRegression(max_iter=1000),
        ),
    }
    print(f"{len(x)} rows, {y.nunique()} classes, empty descriptions {(x['description'] == '').mean():.3f}")
    for name, model in models.items():
        model.fit(train_x, train_y)
        f1 = f1_score(test_y, model.predict(test_x), average="weighted")
        print(f"{name}: weighted F1 = {f1:.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
