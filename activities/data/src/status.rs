//! The current state of the data: what was imported, how much is loaded, per-class counts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::load::LoadBatch;
use crate::plan::percent_of;
use crate::store::{Store, with_pool};

#[derive(Clone, Debug, Serialize)]
pub struct ImportInfo {
    pub import_id: i64,
    pub kind: String,
    pub checksum: String,
    pub total_rows: i64,
    pub pool_rows: i64,
    pub holdout_rows: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DataStatus {
    pub backend: String,
    pub import: Option<ImportInfo>,
    pub loaded_rows: i64,
    pub pool_rows: i64,
    pub percent_loaded: f64,
    /// Loaded rows per prdtypecode.
    pub class_counts: BTreeMap<i64, i64>,
    pub batches: Vec<LoadBatch>,
    pub dataset_versions: i64,
    pub inference_log_rows: i64,
}

impl Store {
    pub async fn status(&self) -> Result<DataStatus> {
        let import: Option<(i64, String, String, i64, i64, i64)> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, source_kind, checksum, total_rows, pool_rows, holdout_rows FROM imports ORDER BY id LIMIT 1",
            )
            .fetch_optional(p)
            .await?
        });
        let state: Option<(i64, i64)> = with_pool!(self, p => {
            sqlx::query_as("SELECT pool_rows, loaded_rows FROM pool_state WHERE id = 1").fetch_optional(p).await?
        });
        let (pool_rows, loaded_rows) = state.unwrap_or((0, 0));
        let class_counts: Vec<(i64, i64)> = with_pool!(self, p => {
            sqlx::query_as("SELECT prdtypecode, row_count FROM class_counts ORDER BY prdtypecode").fetch_all(p).await?
        });
        let (dataset_versions, inference_log_rows): (i64, i64) = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM dataset_versions), (SELECT COUNT(*) FROM inference_log)",
            )
            .fetch_one(p)
            .await?
        });
        Ok(DataStatus {
            backend: self.backend().to_string(),
            import: import.map(
                |(import_id, kind, checksum, total_rows, pool_rows, holdout_rows)| ImportInfo {
                    import_id,
                    kind,
                    checksum,
                    total_rows,
                    pool_rows,
                    holdout_rows,
                },
            ),
            loaded_rows,
            pool_rows,
            percent_loaded: percent_of(loaded_rows, pool_rows),
            class_counts: class_counts.into_iter().collect(),
            batches: self.load_batches().await?,
            dataset_versions,
            inference_log_rows,
        })
    }
}
