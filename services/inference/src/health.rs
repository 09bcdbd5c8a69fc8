//! `GET /health` and `GET /metrics`: honest from the first second (no model yet → unhealthy), degraded while a
//! dependency fails (database unreachable, inference log losing rows or rows waiting in its journal, the newest
//! Production version not loadable, the served version no longer in Production), and the last drift report's gauges beside the service's own metrics.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::core::{Core, LoadFailure};
use crate::log::LogHealth;
use lifecycle::DriftCheck;

#[derive(Debug, Serialize)]
pub struct Health {
    /// `healthy`, `degraded` (serving, but a dependency fails) or `unhealthy` (no model: predictions get 503).
    pub status: &'static str,
    pub model: ModelHealth,
    pub database: DatabaseHealth,
    pub inference_log: LogHealth,
    pub uptime_seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct ModelHealth {
    pub name: String,
    pub loaded: bool,
    pub version: Option<String>,
    /// The registry's stage of the served version now (it may have left Production since it was loaded).
    pub stage: Option<String>,
    /// False once the served version is no longer the Production version and nothing replaced it.
    pub in_production: bool,
    pub loaded_at: Option<String>,
    pub load_failures: u64,
    /// The last Production version that could not be loaded, until a version loads.
    pub last_load_failure: Option<LoadFailure>,
}

#[derive(Debug, Serialize)]
pub struct DatabaseHealth {
    pub backend: &'static str,
    pub reachable: bool,
}

impl Core {
    pub async fn health(&self) -> Health {
        let current = self.slot.current.load_full();
        let last_load_failure = self.slot.last_failure.lock().ok().and_then(|f| f.clone());
        let reachable = self.database_reachable().await;
        let inference_log = self.log.health();
        let status = if current.is_none() {
            "unhealthy"
        } else if !reachable
            || inference_log.losing_rows
            || !inference_log.ready
            || self.log.behind()
            || last_load_failure.is_some()
            || self.slot.retired()
        {
            "degraded"
        } else {
            "healthy"
        };
        Health {
            status,
            model: ModelHealth {
                name: self.model_name.clone(),
                loaded: current.is_some(),
                version: current.as_ref().map(|m| m.version_label.clone()),
                stage: current.as_ref().map(|m| self.slot.stage_of(m)),
                in_production: current.is_some() && !self.slot.retired(),
                loaded_at: current.as_ref().map(|m| m.loaded_at.to_rfc3339()),
                load_failures: self
                    .slot
                    .load_failures
                    .load(std::sync::atomic::Ordering::Relaxed),
                last_load_failure,
            },
            database: DatabaseHealth {
                backend: self.store.backend(),
                reachable,
            },
            inference_log,
            uptime_seconds: (chrono::Utc::now() - self.started_at).num_milliseconds() as f64
                / 1000.0,
        }
    }

    /// The last recorded drift check, re-read when a newer report exists; the cached one when the database
    /// does not answer quickly (a scrape never waits on it).
    async fn last_drift(&self) -> Option<DriftCheck> {
        let mut cached = self.drift.lock().await;
        let latest =
            tokio::time::timeout(Duration::from_secs(1), self.store.drift_reports(1)).await;
        if let Ok(Ok(mut records)) = latest
            && let Some(record) = records.pop()
            && cached.as_ref().is_none_or(|c| c.record.id != record.id)
        {
            let check = tokio::time::timeout(
                Duration::from_secs(2),
                DriftCheck::of_record(record, &self.artifacts),
            )
            .await;
            if let Ok(Ok(check)) = check {
                *cached = Some(check);
            }
        }
        cached.clone()
    }
}

pub async fn health(State(core): State<Arc<Core>>) -> Response {
    let h = core.health().await;
    let code = if h.status == "unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, axum::Json(h)).into_response()
}

/// Liveness: the process answers (its runtime is not stuck). Never depends on the model or the database.
pub async fn livez() -> Response {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "alive" })),
    )
        .into_response()
}

/// Readiness: a model is loaded and the service is not draining. A database that does not answer does not
/// make it unready: predictions need no database, and the inference log keeps rows in its journal meanwhile
/// (`/health` says degraded).
pub async fn readyz(State(core): State<Arc<Core>>) -> Response {
    let model = core.slot.current.load().is_some();
    let draining = core.draining();
    let mut reasons = Vec::new();
    if !model {
        reasons.push("no model loaded");
    }
    if draining {
        reasons.push("draining");
    }
    let ready = reasons.is_empty();
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({ "ready": ready, "model_loaded": model, "draining": draining, "reasons": reasons });
    (code, axum::Json(body)).into_response()
}

pub async fn metrics(State(core): State<Arc<Core>>) -> Response {
    let text = match &core.extra_metrics {
        Some(extra) => {
            let mut text = core.metrics.render(None);
            text.push_str(&(extra.0)().await);
            text
        }
        None => {
            let drift = core.last_drift().await;
            core.metrics.render(drift.as_ref())
        }
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
