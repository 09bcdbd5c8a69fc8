//! Importing the source pool: validated rows, the fixed holdout and the load order, in one transaction.

use std::time::Instant;

use chrono::Utc;
use serde::Serialize;
use sqlx::QueryBuilder;

use crate::error::{DataError, Result};
use crate::plan::{Placement, place_rows};
use crate::source::{SourceFiles, SourceRow, checksum};
use crate::store::{Store, audit, with_pool};

#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub holdout_fraction: f64,
    pub seed: u64,
    pub actor: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            holdout_fraction: crate::plan::DEFAULT_HOLDOUT_FRACTION,
            seed: crate::plan::DEFAULT_SEED,
            actor: "unknown".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub import_id: i64,
    pub checksum: String,
    pub total_rows: i64,
    pub pool_rows: i64,
    pub holdout_rows: i64,
    /// True when this exact source was imported before: nothing was written.
    pub already_imported: bool,
    pub seconds: f64,
}

impl Store {
    /// Reads, validates and imports `files`. All or nothing: a bad row anywhere imports no row.
    /// Importing the same rows again is a no-op; importing different rows over an existing pool is refused.
    pub async fn import(
        &self,
        files: &SourceFiles,
        options: &ImportOptions,
    ) -> Result<ImportReport> {
        let started = Instant::now();
        let rows = files.read()?;
        self.import_rows(files, rows, options, started).await
    }

    pub(crate) async fn import_rows(
        &self,
        files: &SourceFiles,
        rows: Vec<SourceRow>,
        options: &ImportOptions,
        started: Instant,
    ) -> Result<ImportReport> {
        // Two imports racing on an empty PostgreSQL database both find no pool; the loser's pool_state insert
        // fails on the winner's key once the winner commits. Its transaction is rolled back whole; once more, it
        // sees the winner's pool and answers as for any import over an existing pool.
        match self.import_once(files, &rows, options, started).await {
            Err(DataError::Database(e)) if lost_race(&e) => {
                tracing::debug!(error = %e, "import raced another import; reading the winner's pool");
                self.import_once(files, &rows, options, started).await
            }
            r => r,
        }
    }

    async fn import_once(
        &self,
        files: &SourceFiles,
        rows: &[SourceRow],
        options: &ImportOptions,
        started: Instant,
    ) -> Result<ImportReport> {
        if !(0.0..1.0).contains(&options.holdout_fraction) {
            return Err(DataError::InvalidArgument(format!(
                "holdout fraction must be in [0, 1), got {}",
                options.holdout_fraction
            )));
        }
        let sum = checksum(rows);
        let codes: Vec<i64> = rows.iter().map(|r| r.prdtypecode).collect();
        let placement = place_rows(&codes, options.holdout_fraction, options.seed);
        let holdout_rows = placement.iter().filter(|p| p.is_none()).count() as i64;
        let total_rows = rows.len() as i64;
        let pool_rows = total_rows - holdout_rows;
        let started_at = Utc::now();
        let paths: Vec<String> = files
            .paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();

        let import_id = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            // Lock out a concurrent import. A write first: on SQLite it takes the database's write lock now (a
            // racing import waits for it, then sees the winner's rows) rather than failing "database is locked"
            // when it upgrades a read. On PostgreSQL there is no row to lock yet: the loser's pool_state insert
            // waits on the winner's key and fails once it commits, and `import_rows` tries once more.
            sqlx::query("UPDATE pool_state SET updated_at = updated_at WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            let existing: Option<(i64, String, f64, i64)> =
                sqlx::query_as("SELECT id, checksum, holdout_fraction, seed FROM imports ORDER BY id LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((id, existing_sum, fraction, seed)) = existing {
                if existing_sum == sum && ((fraction - options.holdout_fraction).abs() > 1e-12 || seed != options.seed as i64) {
                    return Err(DataError::InvalidArgument(format!(
                        "these rows were imported as import #{id} with holdout fraction {fraction} and seed {seed}; \
                         the holdout is fixed: import again only with the same options"
                    )));
                }
                if existing_sum == sum {
                    let (total, pool, held): (i64, i64, i64) = sqlx::query_as(
                        "SELECT total_rows, pool_rows, holdout_rows FROM imports WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    return Ok(ImportReport {
                        import_id: id,
                        checksum: sum,
                        total_rows: total,
                        pool_rows: pool,
                        holdout_rows: held,
                        already_imported: true,
                        seconds: started.elapsed().as_secs_f64(),
                    });
                }
                return Err(DataError::PoolConflict { import_id: id, checksum: existing_sum });
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO imports (source_kind, files, checksum, total_rows, pool_rows, holdout_rows, \
                 holdout_fraction, seed, actor, started_at, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(files.kind())
            .bind(serde_json::to_string(&paths)?)
            .bind(&sum)
            .bind(total_rows)
            .bind(pool_rows)
            .bind(holdout_rows)
            .bind(options.holdout_fraction)
            .bind(options.seed as i64)
            .bind(&options.actor)
            .bind(started_at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO pool_state (id, pool_rows, loaded_rows, updated_at) VALUES (1, $1, 0, $2)")
                .bind(pool_rows)
                .bind(started_at)
                .execute(&mut *tx)
                .await?;
            tx.insert_source_rows(rows, &placement, id).await?;
            sqlx::query("UPDATE imports SET finished_at = $1 WHERE id = $2")
                .bind(Utc::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit!(tx, &options.actor, "import", "source_pool", id.to_string(), serde_json::json!({
                "kind": files.kind(), "files": paths, "checksum": sum, "total_rows": total_rows,
                "pool_rows": pool_rows, "holdout_rows": holdout_rows,
                "holdout_fraction": options.holdout_fraction, "seed": options.seed,
            }))?;
            tx.commit().await?;
            id
        });
        tracing::info!(
            import_id,
            total_rows,
            pool_rows,
            holdout_rows,
            "imported source pool"
        );
        Ok(ImportReport {
            import_id,
            checksum: sum,
            total_rows,
            pool_rows,
            holdout_rows,
            already_imported: false,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// The write that lost a race with a concurrent import: a unique key the winner took.
fn lost_race(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Bulk insert of source rows inside the caller's transaction: COPY on PostgreSQL, multi-row INSERTs on
/// SQLite (one prepared statement per 500 rows).
trait SourceRowSink {
    async fn insert_source_rows(
        &mut self,
        rows: &[SourceRow],
        placement: &[Placement],
        import_id: i64,
    ) -> Result<()>;
}

impl SourceRowSink for sqlx::PgConnection {
    async fn insert_source_rows(
        &mut self,
        rows: &[SourceRow],
        placement: &[Placement],
        import_id: i64,
    ) -> Result<()> {
        let mut copy = self
            .copy_in_raw(
                "COPY source_rows (productid, row_index, imageid, designation, description, prdtypecode, \
                 is_holdout, load_order, import_id) FROM STDIN WITH (FORMAT csv)",
            )
            .await?;
        let mut buf = String::with_capacity(4 << 20);
        for (r, p) in rows.iter().zip(placement) {
            use std::fmt::Write;
            let _ = write!(buf, "{},{},{},", r.productid, r.row_index, r.imageid);
            push_quoted(&mut buf, &r.designation);
            buf.push(',');
            push_quoted(&mut buf, &r.description);
            let (holdout, order) = match p {
                None => ("t", String::new()),
                Some(o) => ("f", o.to_string()),
            };
            let _ = writeln!(buf, ",{},{holdout},{order},{import_id}", r.prdtypecode);
            if buf.len() > (4 << 20) - 65536 {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

impl SourceRowSink for sqlx::SqliteConnection {
    async fn insert_source_rows(
        &mut self,
        rows: &[SourceRow],
        placement: &[Placement],
        import_id: i64,
    ) -> Result<()> {
        let pairs: Vec<(&SourceRow, &Placement)> = rows.iter().zip(placement).collect();
        for chunk in pairs.chunks(500) {
            let mut q = QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO source_rows (productid, row_index, imageid, designation, description, prdtypecode, \
                 is_holdout, load_order, import_id) ",
            );
            q.push_values(chunk, |mut b, (r, p)| {
                b.push_bind(r.productid)
                    .push_bind(r.row_index)
                    .push_bind(r.imageid)
                    .push_bind(r.designation.as_str())
                    .push_bind(r.description.as_str())
                    .push_bind(r.prdtypecode)
                    .push_bind(p.is_none())
                    .push_bind(**p)
                    .push_bind(import_id);
            });
            q.build().persistent(true).execute(&mut *self).await?;
        }
        Ok(())
    }
}

/// A CSV field for COPY: always quoted, so an empty string stays an empty string (an unquoted empty is NULL).
fn push_quoted(buf: &mut String, s: &str) {
    buf.push('"');
    for ch in s.chars() {
        if ch == '"' {
            buf.push('"');
        }
        buf.push(ch);
    }
    buf.push('"');
}
