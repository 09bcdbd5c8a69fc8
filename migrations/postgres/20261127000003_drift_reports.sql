-- Drift reports: one row per check, the report files in the artifact store. In step with the SQLite twin.
CREATE TABLE drift_reports (
    id                TEXT PRIMARY KEY,
    at                TIMESTAMPTZ NOT NULL,
    window_start      TIMESTAMPTZ NOT NULL,
    window_end        TIMESTAMPTZ NOT NULL,
    reference_rows    BIGINT NOT NULL,
    current_rows      BIGINT NOT NULL,
    dataset_drift     BOOLEAN NOT NULL,
    share_drifted     DOUBLE PRECISION NOT NULL,
    share_threshold   DOUBLE PRECISION NOT NULL,
    drifted_columns   BIGINT NOT NULL,
    columns           BIGINT NOT NULL,
    json_key          TEXT NOT NULL,
    html_key          TEXT NOT NULL,
    json_sha256       TEXT NOT NULL,
    html_sha256       TEXT NOT NULL,
    actor             TEXT NOT NULL
);
CREATE INDEX drift_reports_at ON drift_reports (at);
