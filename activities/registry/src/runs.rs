//! Experiments and runs: what was trained, on what, with which parameters, and how it scored.

use chrono::{DateTime, Utc};
use data::{audit, with_pool};
use serde::Serialize;

use crate::Registry;
use crate::error::{RegistryError, Result};

#[derive(Clone, Debug, Default)]
pub struct NewRun {
    /// A stable id makes `start_run` idempotent (a retried activity finds its run, and a failed run is running
    /// again); `None` → a fresh UUID.
    pub run_id: Option<String>,
    pub experiment: String,
    pub params: serde_json::Value,
    pub dataset_version: Option<String>,
    pub dataset_sha256: Option<String>,
    pub code_version: Option<String>,
    pub actor: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub id: String,
    pub experiment: String,
    pub status: String,
    pub params: serde_json::Value,
    pub metrics: serde_json::Value,
    /// key → [(step, value)], ordered by step.
    pub steps: std::collections::BTreeMap<String, Vec<(i64, f64)>>,
    pub dataset_version: Option<String>,
    pub dataset_sha256: Option<String>,
    pub code_version: Option<String>,
    pub artifact_uri: Option<String>,
    pub artifact_sha256: Option<String>,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A run as stored: JSON columns still text, metric steps in their own table.
#[derive(sqlx::FromRow)]
struct RunRow {
    id: String,
    experiment: String,
    status: String,
    params: String,
    metrics: String,
    dataset_version: Option<String>,
    dataset_sha256: Option<String>,
    code_version: Option<String>,
    artifact_uri: Option<String>,
    artifact_sha256: Option<String>,
    actor: String,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}
const RUN_SQL: &str = "SELECT r.id, e.name AS experiment, r.status, r.params, r.metrics, r.dataset_version, r.dataset_sha256, \
     r.code_version, r.artifact_uri, r.artifact_sha256, r.actor, r.started_at, r.ended_at \
     FROM runs r JOIN experiments e ON e.id = r.experiment_id";

impl Registry {
    /// Starts a run (or returns the existing one with the same id).
    pub async fn start_run(&self, new: &NewRun) -> Result<Run> {
        let id = new
            .run_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let now = Utc::now();
        with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO experiments (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(&new.experiment).bind(now).execute(&mut *tx).await?;
            let n = sqlx::query(
                "INSERT INTO runs (id, experiment_id, status, params, metrics, dataset_version, dataset_sha256, code_version, \
                 actor, started_at) SELECT $1, id, 'running', $2, '{}', $3, $4, $5, $6, $7 FROM experiments WHERE name = $8 \
                 ON CONFLICT (id) DO UPDATE SET status = 'running', ended_at = NULL WHERE runs.status = 'failed'",
            )
            .bind(&id).bind(serde_json::to_string(&new.params)?).bind(&new.dataset_version).bind(&new.dataset_sha256)
            .bind(&new.code_version).bind(&new.actor).bind(now).bind(&new.experiment)
            .execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                audit!(tx, &new.actor, "start_run", "run", &id, serde_json::json!({
                    "experiment": new.experiment, "params": new.params, "dataset_version": new.dataset_version,
                }))?;
            }
            tx.commit().await?;
        });
        self.run(&id).await
    }

    /// Records one metric value at a step (an epoch); recording the same step again overwrites it.
    pub async fn log_metric(&self, run_id: &str, key: &str, step: i64, value: f64) -> Result<()> {
        with_pool!(self.store, p => {
            sqlx::query(
                "INSERT INTO run_metric_steps (run_id, key, step, value, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value, at = excluded.at",
            )
            .bind(run_id).bind(key).bind(step).bind(value).bind(Utc::now()).execute(p).await?;
        });
        Ok(())
    }

    /// Ends a run with its final status, metrics and artifact location.
    pub async fn finish_run(
        &self,
        run_id: &str,
        status: &str,
        metrics: &serde_json::Value,
        artifact: Option<(&str, &str)>,
        actor: &str,
    ) -> Result<Run> {
        // discarded: a challenger that trained fine but was not the one chosen (never registered).
        if !matches!(status, "finished" | "failed" | "cancelled" | "discarded") {
            return Err(RegistryError::InvalidArgument(format!(
                "run status {status:?}: expected finished, failed, cancelled or discarded"
            )));
        }
        with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE runs SET status = $1, metrics = $2, artifact_uri = $3, artifact_sha256 = $4, ended_at = $5 WHERE id = $6",
            )
            .bind(status).bind(serde_json::to_string(metrics)?).bind(artifact.map(|a| a.0)).bind(artifact.map(|a| a.1))
            .bind(Utc::now()).bind(run_id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(RegistryError::NotFound(format!("run {run_id}")));
            }
            audit!(tx, actor, "finish_run", "run", run_id, serde_json::json!({ "status": status }))?;
            tx.commit().await?;
        });
        self.run(run_id).await
    }

    pub async fn run(&self, run_id: &str) -> Result<Run> {
        let row: Option<RunRow> = with_pool!(self.store, p => {
            sqlx::query_as(&format!("{RUN_SQL} WHERE r.id = $1")).bind(run_id).fetch_optional(p).await?
        });
        let row = row.ok_or_else(|| RegistryError::NotFound(format!("run {run_id}")))?;
        self.run_from_row(row).await
    }

    /// Runs, newest first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<Run>> {
        let rows: Vec<RunRow> = with_pool!(self.store, p => {
            sqlx::query_as(&format!("{RUN_SQL} ORDER BY r.started_at DESC, r.id DESC LIMIT $1")).bind(limit).fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.run_from_row(r).await?);
        }
        Ok(out)
    }

    async fn run_from_row(&self, r: RunRow) -> Result<Run> {
        let steps: Vec<(String, i64, f64)> = with_pool!(self.store, p => {
            sqlx::query_as("SELECT key, step, value FROM run_metric_steps WHERE run_id = $1 ORDER BY key, step")
                .bind(&r.id).fetch_all(p).await?
        });
        let mut by_key: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
        for (k, s, v) in steps {
            by_key.entry(k).or_default().push((s, v));
        }
        Ok(Run {
            params: serde_json::from_str(&r.params)?,
            metrics: serde_json::from_str(&r.metrics)?,
            steps: by_key,
            id: r.id,
            experiment: r.experiment,
            status: r.status,
            dataset_version: r.dataset_version,
            dataset_sha256: r.dataset_sha256,
            code_version: r.code_version,
            artifact_uri: r.artifact_uri,
            artifact_sha256: r.artifact_sha256,
            actor: r.actor,
            started_at: r.started_at,
            ended_at: r.ended_at,
        })
    }
}
