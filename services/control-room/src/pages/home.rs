//! Home: the lifecycle at a glance.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{temporal_link, workflow_table};
use crate::App;
use crate::layout::{self, Viewer, f4, pct, when};
use crate::queries;

pub async fn page(State(app): State<Arc<App>>, Extension(viewer): Extension<Viewer>) -> Response {
    let name = app.config.model_name.clone();
    let (counts, production, live, drift, audit, runs) = tokio::join!(
        queries::counts(&app.store),
        app.registry.production(&name),
        app.store.live_scores(1),
        app.store.drift_reports(1),
        app.store.audit_log(15),
        async {
            let mut out = Vec::new();
            for t in [
                contracts::lifecycle::workflow::WEEKLY_INGEST,
                contracts::lifecycle::workflow::TRAINING,
                contracts::lifecycle::workflow::DAILY_DRIFT,
            ] {
                out.push((t, app.temporal.recent_runs(Some(t), 1).await));
            }
            out
        }
    );
    let counts = counts.unwrap_or_default();
    let production = production.ok().flatten();
    let live = live.ok().and_then(|l| l.into_iter().next());
    let drift = drift.ok().and_then(|d| d.into_iter().next());
    let c = &app.config;
    let body = html! {
        h1 { "The lifecycle at a glance" }
        (layout::figures(&[
            ("Loaded", format!("{} of {} rows ({})", counts.loaded_rows, counts.pool_rows, pct(counts.percent_loaded()))),
            ("Production model", production.as_ref().map_or("none yet".into(), |v| format!("{} v{}", v.name, v.version))),
            ("Holdout F1 (weighted)", f4(production.as_ref().and_then(|v| v.f1_weighted()))),
            ("Live F1 (last batch)", live.as_ref().map_or("–".into(), |l| format!("{:.4} on {} ({} rows)", l.f1_weighted, l.batch, l.rows))),
            ("Last drift share", drift.as_ref().map_or("no report yet".into(), |d| format!("{} of columns{}", pct(100.0 * d.share_drifted), if d.dataset_drift { " — drift" } else { "" }))),
        ]))
        h2 { "Last runs" }
        @let last: Vec<_> = runs.iter().filter_map(|(_, r)| r.as_ref().ok()).flatten().cloned().collect();
        @if let Some((_, Err(e))) = runs.iter().find(|(_, r)| r.is_err()) {
            (layout::unavailable("Temporal", &e.to_string()))
        } @else if last.is_empty() {
            p.notice { "No workflow has run yet." }
        } @else {
            (workflow_table(&app, &last))
        }
        h2 { "Recent activity" }
        @match &audit {
            Ok(entries) if !entries.is_empty() => {
                table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "On" } } }
                    tbody {
                        @for e in entries {
                            tr { td { (when(&e.at)) } td { (e.actor) } td { (e.action) } td.mono { (e.entity) " " (e.entity_id) } }
                        }
                    }
                }
            }
            Ok(_) => p.notice { "Nothing recorded yet." },
            Err(e) => (layout::unavailable("Audit log", &e.to_string())),
        }
        h2 { "Elsewhere" }
        ul {
            @if let Some(ui) = &c.temporal_ui {
                li { a href=(temporal_link(&app, None)) { "Temporal UI" } " (" (ui) ")" }
            }
            @for url in &c.inference {
                li { a href=(format!("{url}/openapi.json")) { "Inference REST API (OpenAPI document)" } " at " (url) }
            }
            @if let Some(p) = &c.prometheus { li { a href=(p) { "Prometheus" } } }
            @if let Some(g) = &c.grafana { li { a href=(g) { "Grafana" } } }
        }
    };
    layout::page(&viewer, "Home", "/", None, body).into_response()
}
