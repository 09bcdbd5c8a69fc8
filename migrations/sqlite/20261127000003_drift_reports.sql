-- Drift reports: one row per check, the report files in the artifact store. In step with the SQLite twin.
CREATE TABLE drift_reports (
    id                TEXT PRIMARY KEY,
    at                TEXT NOT NULL,
    window_start      TEXT NOT NULL,
    window_end        TEXT NOT NULL,
    reference_rows    INTEGER NOT NULL,
    current_rows      INTEGER NOT NULL,
    dataset_drift     INTEGER NOT NULL,
    share_drifted     REAL NOT NULL,
    share_threshold   REAL NOT NULL,
    drifted_columns   INTEGER NOT NULL,
    columns           INTEGER NOT NULL,
    json_key          TEXT NOT NULL,
    html_key          TEXT NOT NULL,
    json_sha256       TEXT NOT NULL,
    html_sha256       TEXT NOT NULL,
    actor             TEXT NOT NULL
);
CREATE INDEX drift_reports_at ON drift_reports (at);
