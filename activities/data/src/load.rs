//! Incremental loads from the source pool into products and labels: idempotent by batch name, audited.

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};
use crate::plan::{percent_of, rows_for_percent};
use crate::store::{Store, audit, with_pool};

/// What to load.
#[derive(Clone, Debug)]
pub enum LoadRequest {
    /// Bring the loaded share up to `percent` of the pool (the first load; 40 by default).
    Initial { percent: f64 },
    /// Add `percent` of the pool (3 a week by default).
    Increment { percent: f64 },
}

/// The name of the weekly batch for a date: `week-2026-W48` (ISO week), so a retried or repeated run in the
/// same week loads nothing the second time.
pub fn weekly_batch_name(at: DateTime<Utc>) -> String {
    let w = at.iso_week();
    contracts::weekly_batch_name(w.year(), w.week())
}

pub use contracts::INITIAL_BATCH_NAME;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStatus {
    /// Rows were loaded by this call.
    Loaded,
    /// A batch of this name was applied before; nothing was loaded now.
    AlreadyApplied,
    /// Every pool row is already loaded; nothing was loaded and no batch recorded.
    PoolExhausted,
    /// An initial load whose share is already loaded; nothing was loaded and no batch recorded.
    TargetReached,
}

/// One load batch, as the audit trail records it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct LoadBatch {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub requested_percent: f64,
    #[sqlx(rename = "row_count")]
    pub rows: i64,
    pub percent_before: f64,
    pub percent_after: f64,
    pub checksum: String,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadOutcome {
    pub status: LoadStatus,
    pub batch: Option<LoadBatch>,
    pub loaded_rows: i64,
    pub pool_rows: i64,
    pub percent_loaded: f64,
}

const BATCH_COLUMNS: &str = "id, name, kind, requested_percent, row_count, percent_before, percent_after, checksum, \
                             actor, started_at, finished_at";

impl Store {
    /// Loads the next rows of the pool in its fixed order as batch `name`.
    ///
    /// Idempotent: a name already applied loads nothing and returns that batch. Concurrent loads are
    /// serialised on the `pool_state` row, so two batches never take the same rows.
    pub async fn load(
        &self,
        request: &LoadRequest,
        name: &str,
        actor: &str,
    ) -> Result<LoadOutcome> {
        let (kind, percent) = match *request {
            LoadRequest::Initial { percent } => ("initial", percent),
            LoadRequest::Increment { percent } => ("incremental", percent),
        };
        if !(percent > 0.0 && percent <= 100.0) {
            return Err(DataError::InvalidArgument(format!(
                "percent must be in (0, 100], got {percent}"
            )));
        }
        if name.trim().is_empty() {
            return Err(DataError::InvalidArgument(
                "batch name must not be empty".into(),
            ));
        }
        let started_at = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            // Take the write lock first (row lock on PostgreSQL, the database write lock on SQLite).
            let state: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE pool_state SET updated_at = $1 WHERE id = 1 RETURNING pool_rows, loaded_rows",
            )
            .bind(started_at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((pool_rows, loaded)) = state else { return Err(DataError::NoSourcePool) };

            let existing: Option<LoadBatch> =
                sqlx::query_as(&format!("SELECT {BATCH_COLUMNS} FROM load_batches WHERE name = $1"))
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(row) = existing {
                tx.rollback().await?;
                // The same name asking for something else is a mistake, not a retry.
                if row.kind != kind || (row.requested_percent - percent).abs() > 1e-9 {
                    return Err(DataError::InvalidArgument(format!(
                        "batch {name:?} was applied as a {} load of {}%; this asks for a {kind} load of {percent}%: \
                         use another batch name",
                        row.kind, row.requested_percent
                    )));
                }
                return Ok(LoadOutcome {
                    status: LoadStatus::AlreadyApplied,
                    batch: Some(row),
                    loaded_rows: loaded,
                    pool_rows,
                    percent_loaded: percent_of(loaded, pool_rows),
                });
            }
            let target = match request {
                LoadRequest::Initial { .. } => rows_for_percent(pool_rows, percent).max(loaded),
                LoadRequest::Increment { .. } => (loaded + rows_for_percent(pool_rows, percent)).min(pool_rows),
            };
            if target <= loaded {
                tx.rollback().await?;
                let status = if loaded >= pool_rows { LoadStatus::PoolExhausted } else { LoadStatus::TargetReached };
                return Ok(LoadOutcome {
                    status,
                    batch: None,
                    loaded_rows: loaded,
                    pool_rows,
                    percent_loaded: percent_of(loaded, pool_rows),
                });
            }

            let batch_id: i64 = sqlx::query_scalar(
                "INSERT INTO load_batches (name, kind, requested_percent, row_count, first_order, end_order, \
                 percent_before, percent_after, checksum, actor, started_at, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $10) RETURNING id",
            )
            .bind(name)
            .bind(kind)
            .bind(percent)
            .bind(target - loaded)
            .bind(loaded)
            .bind(target)
            .bind(percent_of(loaded, pool_rows))
            .bind(percent_of(target, pool_rows))
            .bind(actor)
            .bind(started_at)
            .fetch_one(&mut *tx)
            .await?;
            let now = Utc::now();
            sqlx::query(
                "INSERT INTO products (productid, imageid, designation, description, batch_id, loaded_at) \
                 SELECT productid, imageid, designation, description, $1, $2 FROM source_rows \
                 WHERE load_order >= $3 AND load_order < $4",
            )
            .bind(batch_id)
            .bind(now)
            .bind(loaded)
            .bind(target)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO labels (productid, prdtypecode, batch_id) \
                 SELECT productid, prdtypecode, $1 FROM source_rows WHERE load_order >= $2 AND load_order < $3",
            )
            .bind(batch_id)
            .bind(loaded)
            .bind(target)
            .execute(&mut *tx)
            .await?;
            let ids: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT productid, prdtypecode FROM source_rows WHERE load_order >= $1 AND load_order < $2 \
                 ORDER BY load_order",
            )
            .bind(loaded)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            let mut h = Sha256::new();
            for (pid, code) in &ids {
                h.update(pid.to_le_bytes());
                h.update(code.to_le_bytes());
            }
            let sum = hex::encode(h.finalize());
            let finished_at = Utc::now();
            sqlx::query("UPDATE load_batches SET checksum = $1, finished_at = $2 WHERE id = $3")
                .bind(&sum)
                .bind(finished_at)
                .bind(batch_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE pool_state SET loaded_rows = $1, updated_at = $2 WHERE id = 1")
                .bind(target)
                .bind(finished_at)
                .execute(&mut *tx)
                .await?;
            audit!(tx, actor, "load", "load_batch", name, serde_json::json!({
                "batch_id": batch_id, "kind": kind, "requested_percent": percent, "rows": target - loaded,
                "load_order": [loaded, target], "percent_before": percent_of(loaded, pool_rows),
                "percent_after": percent_of(target, pool_rows), "checksum": sum,
            }))?;
            tx.commit().await?;
            tracing::info!(name, rows = target - loaded, percent_after = percent_of(target, pool_rows), "loaded batch");
            Ok(LoadOutcome {
                status: LoadStatus::Loaded,
                batch: Some(LoadBatch {
                    id: batch_id,
                    name: name.to_string(),
                    kind: kind.to_string(),
                    requested_percent: percent,
                    rows: target - loaded,
                    percent_before: percent_of(loaded, pool_rows),
                    percent_after: percent_of(target, pool_rows),
                    checksum: sum,
                    actor: actor.to_string(),
                    started_at,
                    finished_at,
                }),
                loaded_rows: target,
                pool_rows,
                percent_loaded: percent_of(target, pool_rows),
            })
        })
    }

    /// Every load batch, oldest first.
    pub async fn load_batches(&self) -> Result<Vec<LoadBatch>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {BATCH_COLUMNS} FROM load_batches ORDER BY id")).fetch_all(p).await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn weekly_names_follow_iso_weeks() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        assert_eq!(super::weekly_batch_name(at), "week-2026-W48");
        let at = chrono::Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(super::weekly_batch_name(at), "week-2026-W53");
    }
}
