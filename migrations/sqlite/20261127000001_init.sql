-- The source pool, the loaded products and labels, the audit trail, dataset versions and the inference log.
-- Kept in step with migrations/postgres/20261127000001_init.sql: same tables, columns and meanings.

CREATE TABLE imports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    source_kind      TEXT NOT NULL,             -- 'challenge' (X_train + Y_train) or 'merged'
    files            TEXT NOT NULL,             -- JSON array of the file paths read
    checksum         TEXT NOT NULL UNIQUE,      -- sha256 over the validated rows
    total_rows       INTEGER NOT NULL,
    pool_rows        INTEGER NOT NULL,
    holdout_rows     INTEGER NOT NULL,
    holdout_fraction REAL NOT NULL,
    seed             INTEGER NOT NULL,
    actor            TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT NOT NULL
);

-- Every imported row. Holdout rows (is_holdout) are never loaded; pool rows carry their place in the load order.
CREATE TABLE source_rows (
    productid   INTEGER PRIMARY KEY,
    row_index   INTEGER NOT NULL,
    imageid     INTEGER NOT NULL,
    designation TEXT NOT NULL,
    description TEXT NOT NULL,
    prdtypecode INTEGER NOT NULL,
    is_holdout  INTEGER NOT NULL,
    load_order  INTEGER UNIQUE,
    import_id   INTEGER NOT NULL REFERENCES imports (id),
    CHECK ((is_holdout AND load_order IS NULL) OR (NOT is_holdout AND load_order IS NOT NULL))
);
CREATE INDEX source_rows_holdout ON source_rows (is_holdout);

-- One row: how much of the pool is loaded. Loads lock it first, so two loads never take the same rows.
CREATE TABLE pool_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pool_rows   INTEGER NOT NULL,
    loaded_rows INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE load_batches (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,            -- 'initial' or 'incremental'
    requested_percent REAL NOT NULL,
    row_count         INTEGER NOT NULL,
    first_order       INTEGER NOT NULL,          -- load_order range [first_order, end_order)
    end_order         INTEGER NOT NULL,
    percent_before    REAL NOT NULL,
    percent_after     REAL NOT NULL,
    checksum          TEXT NOT NULL,            -- sha256 over (productid, prdtypecode) of the rows loaded
    actor             TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL
);

CREATE TABLE products (
    productid   INTEGER PRIMARY KEY REFERENCES source_rows (productid),
    imageid     INTEGER NOT NULL,
    designation TEXT NOT NULL,
    description TEXT NOT NULL,
    batch_id    INTEGER NOT NULL REFERENCES load_batches (id),
    loaded_at   TEXT NOT NULL
);

CREATE TABLE labels (
    productid   INTEGER PRIMARY KEY REFERENCES products (productid),
    prdtypecode INTEGER NOT NULL,
    batch_id    INTEGER NOT NULL REFERENCES load_batches (id)
);
CREATE INDEX labels_code ON labels (prdtypecode);

-- Append-only: rows are inserted, never updated or deleted (enforced below).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    details   TEXT NOT NULL                     -- JSON
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE dataset_versions (
    id                  TEXT PRIMARY KEY,       -- 'ds-' + 16 hex of sha256(inputs): same input, same id
    strategy            TEXT NOT NULL,
    cap                 INTEGER,
    seed                INTEGER NOT NULL,
    validation_fraction REAL NOT NULL,
    loaded_rows         INTEGER NOT NULL,
    last_batch          TEXT,
    train_rows          INTEGER NOT NULL,
    validation_rows     INTEGER NOT NULL,
    holdout_rows        INTEGER NOT NULL,
    sha256              TEXT NOT NULL,          -- sha256 of manifest.json (which lists each file's sha256)
    uri                 TEXT NOT NULL,          -- artifact store prefix
    manifest            TEXT NOT NULL,          -- JSON: files, class distributions
    actor               TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

CREATE TABLE inference_log (
    prediction_id   TEXT PRIMARY KEY,
    at              TEXT NOT NULL,
    model_name      TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    designation     TEXT NOT NULL,              -- truncated to a bound by the writer
    description     TEXT NOT NULL,
    imageid         INTEGER,
    text_len_chars  INTEGER NOT NULL,
    word_count      INTEGER NOT NULL,
    has_description INTEGER NOT NULL,
    predicted_class INTEGER NOT NULL,
    confidence      REAL NOT NULL,
    latency_ms      REAL NOT NULL
);
CREATE INDEX inference_log_at ON inference_log (at);

CREATE VIEW class_counts AS
    SELECT prdtypecode, COUNT(*) AS row_count FROM labels GROUP BY prdtypecode;
