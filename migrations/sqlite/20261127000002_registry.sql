-- Experiment tracking and the model registry. Kept in step with migrations/postgres/20261127000002_registry.sql.

CREATE TABLE experiments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE runs (
    id              TEXT PRIMARY KEY,           -- caller-chosen and stable (a workflow's run key), or a UUID
    experiment_id   INTEGER NOT NULL REFERENCES experiments (id),
    status          TEXT NOT NULL,              -- running | finished | failed
    params          TEXT NOT NULL,              -- JSON object
    metrics         TEXT NOT NULL,              -- JSON object: final metrics
    dataset_version TEXT,
    dataset_sha256  TEXT,
    code_version    TEXT,
    artifact_uri    TEXT,
    artifact_sha256 TEXT,
    actor           TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    ended_at        TEXT
);

CREATE TABLE run_metric_steps (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key    TEXT NOT NULL,
    step   INTEGER NOT NULL,
    value  REAL NOT NULL,
    at     TEXT NOT NULL,
    PRIMARY KEY (run_id, key, step)
);

CREATE TABLE registered_models (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    generation  INTEGER NOT NULL,                -- bumped on every stage or alias change: a cheap change check
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE model_versions (
    name            TEXT NOT NULL REFERENCES registered_models (name),
    version         INTEGER NOT NULL,
    run_id          TEXT REFERENCES runs (id),
    dataset_version TEXT,
    artifact_key    TEXT NOT NULL,              -- prefix in the artifact store
    artifact_sha256 TEXT NOT NULL,              -- sha256 of the artifact manifest (lists every file's sha256)
    metrics         TEXT NOT NULL,              -- JSON: holdout metrics the policy reads
    holdout_id      TEXT,                       -- which fixed holdout the metrics were computed on
    stage           TEXT NOT NULL,              -- None | Staging | Production | Archived
    created_at      TEXT NOT NULL,
    actor           TEXT NOT NULL,
    PRIMARY KEY (name, version),
    UNIQUE (name, artifact_sha256)
);
-- Never two Production versions of one model, whatever the concurrency.
CREATE UNIQUE INDEX model_versions_one_production ON model_versions (name) WHERE stage = 'Production';

CREATE TABLE model_aliases (
    name    TEXT NOT NULL,
    alias   TEXT NOT NULL,
    version INTEGER NOT NULL,
    set_at  TEXT NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
);

-- Every stage change, with who, when and why; promotions open a production period, which rollback closes.
CREATE TABLE stage_transitions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    from_stage TEXT NOT NULL,
    to_stage   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE TABLE production_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    rolled_back INTEGER NOT NULL
);

CREATE TABLE promotion_decisions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    champion_version INTEGER,
    promoted         INTEGER NOT NULL,
    reason           TEXT NOT NULL,
    numbers          TEXT NOT NULL,             -- JSON: candidate, champion, threshold, margin
    actor            TEXT NOT NULL,
    at               TEXT NOT NULL
);
