-- The source pool, the loaded products and labels, the audit trail, dataset versions and the inference log.
-- Kept in step with migrations/sqlite/20261127000001_init.sql: same tables, columns and meanings.

CREATE TABLE imports (
    id               BIGSERIAL PRIMARY KEY,
    source_kind      TEXT NOT NULL,             -- 'challenge' (X_train + Y_train) or 'merged'
    files            TEXT NOT NULL,             -- JSON array of the file paths read
    checksum         TEXT NOT NULL UNIQUE,      -- sha256 over the validated rows
    total_rows       BIGINT NOT NULL,
    pool_rows        BIGINT NOT NULL,
    holdout_rows     BIGINT NOT NULL,
    holdout_fraction DOUBLE PRECISION NOT NULL,
    seed             BIGINT NOT NULL,
    actor            TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL
);

-- Every imported row. Holdout rows (is_holdout) are never loaded; pool rows carry their place in the load order.
CREATE TABLE source_rows (
    productid   BIGINT PRIMARY KEY,
    row_index   BIGINT NOT NULL,
    imageid     BIGINT NOT NULL,
    designation TEXT NOT NULL,
    description TEXT NOT NULL,
    prdtypecode BIGINT NOT NULL,
    is_holdout  BOOLEAN NOT NULL,
    load_order  BIGINT UNIQUE,
    import_id   BIGINT NOT NULL REFERENCES imports (id),
    CHECK ((is_holdout AND load_order IS NULL) OR (NOT is_holdout AND load_order IS NOT NULL))
);
CREATE INDEX source_rows_holdout ON source_rows (is_holdout);

-- One row: how much of the pool is loaded. Loads lock it first, so two loads never take the same rows.
CREATE TABLE pool_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    pool_rows   BIGINT NOT NULL,
    loaded_rows BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE load_batches (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,            -- 'initial' or 'incremental'
    requested_percent DOUBLE PRECISION NOT NULL,
    row_count         BIGINT NOT NULL,
    first_order       BIGINT NOT NULL,          -- load_order range [first_order, end_order)
    end_order         BIGINT NOT NULL,
    percent_before    DOUBLE PRECISION NOT NULL,
    percent_after     DOUBLE PRECISION NOT NULL,
    checksum          TEXT NOT NULL,            -- sha256 over (productid, prdtypecode) of the rows loaded
    actor             TEXT NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE products (
    productid   BIGINT PRIMARY KEY REFERENCES source_rows (productid),
    imageid     BIGINT NOT NULL,
    designation TEXT NOT NULL,
    description TEXT NOT NULL,
    batch_id    BIGINT NOT NULL REFERENCES load_batches (id),
    loaded_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE labels (
    productid   BIGINT PRIMARY KEY REFERENCES products (productid),
    prdtypecode BIGINT NOT NULL,
    batch_id    BIGINT NOT NULL REFERENCES load_batches (id)
);
CREATE INDEX labels_code ON labels (prdtypecode);

-- Append-only: rows are inserted, never updated or deleted (enforced below).
CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    details   TEXT NOT NULL                     -- JSON
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE dataset_versions (
    id                  TEXT PRIMARY KEY,       -- 'ds-' + 16 hex of sha256(inputs): same input, same id
    strategy            TEXT NOT NULL,
    cap                 BIGINT,
    seed                BIGINT NOT NULL,
    validation_fraction DOUBLE PRECISION NOT NULL,
    loaded_rows         BIGINT NOT NULL,
    last_batch          TEXT,
    train_rows          BIGINT NOT NULL,
    validation_rows     BIGINT NOT NULL,
    holdout_rows        BIGINT NOT NULL,
    sha256              TEXT NOT NULL,          -- sha256 of manifest.json (which lists each file's sha256)
    uri                 TEXT NOT NULL,          -- artifact store prefix
    manifest            TEXT NOT NULL,          -- JSON: files, class distributions
    actor               TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE inference_log (
    prediction_id   TEXT PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    model_name      TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    designation     TEXT NOT NULL,              -- truncated to a bound by the writer
    description     TEXT NOT NULL,
    imageid         BIGINT,
    text_len_chars  BIGINT NOT NULL,
    word_count      BIGINT NOT NULL,
    has_description BOOLEAN NOT NULL,
    predicted_class BIGINT NOT NULL,
    confidence      DOUBLE PRECISION NOT NULL,
    latency_ms      DOUBLE PRECISION NOT NULL
);
CREATE INDEX inference_log_at ON inference_log (at);

CREATE VIEW class_counts AS
    SELECT prdtypecode, COUNT(*) AS row_count FROM labels GROUP BY prdtypecode;
