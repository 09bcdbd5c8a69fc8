"""The original inference service, for the benchmark: FastAPI + scikit-learn TF-IDF/LogisticRegression,
Prometheus metrics through prometheus_client, and a CSV line per prediction. Run with
`uvicorn app:app --workers 2` after `python3 app.py train SAMPLE.csv MODEL.joblib` (env SERVE_PY_MODEL)."""

import csv
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import List, Optional

MODEL_PATH = os.environ.get("SERVE_PY_MODEL", "model.joblib")
LOG_PATH = os.environ.get("SERVE_PY_LOG", "predictions.csv")
COLUMNS = ["timestamp", "prediction_id", "model_version", "designation", "description", "imageid",
           "predicted_class", "confidence", "text_len_chars", "latency_ms"]


def train(sample, out):
    import joblib
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    df = pd.read_csv(sample)
    text = df["designation"].fillna("") + " " + df["description"].fillna("")
    model = make_pipeline(TfidfVectorizer(max_features=5000, ngram_range=(1, 2)),
                          LogisticRegression(max_iter=1000))
    model.fit(text, df["prdtypecode"])
    joblib.dump(model, out)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "train":
    train(sys.argv[2], sys.argv[3])
    sys.exit(0)

import joblib  # noqa: E402
from fastapi import FastAPI, Response  # noqa: E402
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest  # noqa: E402
from pydantic import BaseModel  # noqa: E402

PREDICTIONS = Counter("rakuten_predictions_total", "Predictions", ["prdtypecode"])
LATENCY = Histogram("rakuten_prediction_latency_seconds", "Prediction latency")
TEXT_LEN = Histogram("rakuten_text_len_chars", "Text length", buckets=[10, 50, 100, 500, 1000, 5000])
ERRORS = Counter("rakuten_api_errors_total", "Errors", ["error_type"])

model = joblib.load(MODEL_PATH)
classes = [int(c) for c in model.classes_]
log_lock = threading.Lock()
app = FastAPI()


class Product(BaseModel):
    designation: str
    description: Optional[str] = None
    imageid: Optional[int] = None


class Batch(BaseModel):
    items: List[Product]


def log_rows(rows):
    with log_lock:
        new = not os.path.exists(LOG_PATH)
        with open(LOG_PATH, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(COLUMNS)
            w.writerows(rows)


def classify(products):
    start = time.perf_counter()
    texts = [p.designation + " " + (p.description or "") for p in products]
    probas = model.predict_proba(texts)
    latency = (time.perf_counter() - start) / len(products)
    answers, rows = [], []
    for p, text, proba in zip(products, texts, probas):
        top = proba.argsort()[::-1][:5]
        predicted = classes[top[0]]
        pid = str(uuid.uuid4())
        PREDICTIONS.labels(prdtypecode=str(predicted)).inc()
        LATENCY.observe(latency)
        TEXT_LEN.observe(len(text))
        answers.append({
            "predicted_class": predicted,
            "probabilities": {str(classes[i]): float(proba[i]) for i in top},
            "confidence": float(proba[top[0]]),
            "prediction_id": pid,
            "model_version": "1",
        })
        rows.append([datetime.now(timezone.utc).isoformat(), pid, "1", p.designation, p.description or "",
                     p.imageid if p.imageid is not None else "", predicted, float(proba[top[0]]), len(text),
                     latency * 1000])
    log_rows(rows)
    return answers


@app.post("/predict")
def predict(product: Product):
    return classify([product])[0]


@app.post("/predict/batch")
def predict_batch(batch: Batch):
    return {"predictions": classify(batch.items)}


@app.get("/health")
def health():
    return {"status": "healthy", "model_loaded": True}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
