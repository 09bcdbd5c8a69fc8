-- Live scores: the Production model scored on each newly loaded batch before any model trains on it (labelled
-- rows it has never seen: the closest thing to its F1 on live traffic). One row per (batch, model version).
-- In step with the PostgreSQL twin.
CREATE TABLE live_scores (
    batch        TEXT NOT NULL,
    model_name   TEXT NOT NULL,
    version      INTEGER NOT NULL,
    rows         INTEGER NOT NULL,
    accuracy     REAL NOT NULL,
    f1_weighted  REAL NOT NULL,
    f1_macro     REAL NOT NULL,
    holdout_f1   REAL,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    PRIMARY KEY (batch, model_name, version)
);
CREATE INDEX live_scores_at ON live_scores (at);
