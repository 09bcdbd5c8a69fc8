//! Live scores: how the Production model did on a batch of labelled rows it had never seen, scored when the
//! batch is loaded and before any model trains on it. Weekly, this is the model's F1 on fresh data (the "live
//! F1"), set beside its F1 on the fixed holdout.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::columnar::DatasetRow;
use crate::error::Result;
use crate::store::{Store, audit, with_pool};

/// One batch scored by one model version.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct LiveScore {
    pub batch: String,
    pub model_name: String,
    pub version: i64,
    pub rows: i64,
    pub accuracy: f64,
    pub f1_weighted: f64,
    pub f1_macro: f64,
    /// The version's F1 on the fixed holdout, for comparison (when it was scored on it).
    pub holdout_f1: Option<f64>,
    pub at: DateTime<Utc>,
    pub actor: String,
}

impl Store {
    /// The labelled rows a batch loaded, by product id.
    pub async fn batch_rows(&self, batch: &str) -> Result<Vec<DatasetRow>> {
        let rows: Vec<(i64, String, String, i64)> = with_pool!(self, p => {
            sqlx::query_as(
                "SELECT p.productid, p.designation, p.description, l.prdtypecode \
                 FROM load_batches b JOIN products p ON p.batch_id = b.id JOIN labels l ON l.productid = p.productid \
                 WHERE b.name = $1 ORDER BY p.productid",
            )
            .bind(batch)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(DatasetRow::from).collect())
    }

    /// Records a score once (a retry keeps the first) and returns the stored one.
    pub async fn record_live_score(&self, s: &LiveScore) -> Result<LiveScore> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO live_scores (batch, model_name, version, rows, accuracy, f1_weighted, f1_macro, holdout_f1, at, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (batch, model_name, version) DO NOTHING",
            )
            .bind(&s.batch).bind(&s.model_name).bind(s.version).bind(s.rows).bind(s.accuracy)
            .bind(s.f1_weighted).bind(s.f1_macro).bind(s.holdout_f1).bind(s.at).bind(&s.actor)
            .execute(&mut *tx).await?
            .rows_affected();
            if inserted == 1 {
                audit!(tx, &s.actor, "live_score", "load_batch", &s.batch, serde_json::json!({
                    "model": s.model_name, "version": s.version, "rows": s.rows,
                    "f1_weighted": s.f1_weighted, "holdout_f1": s.holdout_f1,
                }))?;
            }
            tx.commit().await?;
        });
        Ok(self
            .live_score(&s.batch, &s.model_name, s.version)
            .await?
            .unwrap_or_else(|| s.clone()))
    }

    pub async fn live_score(
        &self,
        batch: &str,
        model_name: &str,
        version: i64,
    ) -> Result<Option<LiveScore>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT batch, model_name, version, rows, accuracy, f1_weighted, f1_macro, holdout_f1, at, actor \
                 FROM live_scores WHERE batch = $1 AND model_name = $2 AND version = $3",
            )
            .bind(batch).bind(model_name).bind(version).fetch_optional(p).await?
        }))
    }

    /// The scores of one batch, the first recorded first.
    pub async fn live_scores_of_batch(
        &self,
        batch: &str,
        model_name: &str,
    ) -> Result<Vec<LiveScore>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT batch, model_name, version, rows, accuracy, f1_weighted, f1_macro, holdout_f1, at, actor \
                 FROM live_scores WHERE batch = $1 AND model_name = $2 ORDER BY at, version",
            )
            .bind(batch).bind(model_name).fetch_all(p).await?
        }))
    }

    /// The newest live scores first.
    pub async fn live_scores(&self, limit: i64) -> Result<Vec<LiveScore>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT batch, model_name, version, rows, accuracy, f1_weighted, f1_macro, holdout_f1, at, actor \
                 FROM live_scores ORDER BY at DESC, batch LIMIT $1",
            )
            .bind(limit).fetch_all(p).await?
        }))
    }
}
