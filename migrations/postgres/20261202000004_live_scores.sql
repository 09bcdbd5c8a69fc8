-- Live scores: the Production model scored on each newly loaded batch before any model trains on it (labelled
-- rows it has never seen: the closest thing to its F1 on live traffic). One row per (batch, model version).
-- In step with the SQLite twin.
CREATE TABLE live_scores (
    batch        TEXT NOT NULL,
    model_name   TEXT NOT NULL,
    version      BIGINT NOT NULL,
    rows         BIGINT NOT NULL,
    accuracy     DOUBLE PRECISION NOT NULL,
    f1_weighted  DOUBLE PRECISION NOT NULL,
    f1_macro     DOUBLE PRECISION NOT NULL,
    holdout_f1   DOUBLE PRECISION,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    PRIMARY KEY (batch, model_name, version)
);
CREATE INDEX live_scores_at ON live_scores (at);
