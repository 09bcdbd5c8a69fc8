//! Monitoring: drift reports over time, one report's per-column table and its full HTML, live F1 by batch,
//! "run a drift check now", and the alerts firing in Prometheus when one is configured.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{action_button, urlencode};
use crate::layout::{self, Viewer, f4, pct, when};
use crate::{App, charts};

async fn alerts(app: &App) -> Option<anyhow::Result<Vec<(String, String, String)>>> {
    let p = app.config.prometheus.as_ref()?;
    Some(
        async {
            let v: serde_json::Value = app
                .http
                .get(format!("{p}/api/v1/alerts"))
                .send()
                .await?
                .json()
                .await?;
            Ok(v["data"]["alerts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            (
                                x["labels"]["alertname"].as_str().unwrap_or("").to_string(),
                                x["state"].as_str().unwrap_or("").to_string(),
                                x["annotations"]["summary"]
                                    .as_str()
                                    .unwrap_or("")
                                    .to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default())
        }
        .await,
    )
}

pub async fn page(State(app): State<Arc<App>>, Extension(viewer): Extension<Viewer>) -> Response {
    let (reports, live, alerts) = tokio::join!(
        app.store.drift_reports(100),
        app.store.live_scores(100),
        alerts(&app)
    );
    let reports = reports.unwrap_or_default();
    let mut live = live.unwrap_or_default();
    live.sort_by_key(|l| l.at);
    let t0 = reports
        .iter()
        .map(|r| r.at)
        .chain(live.iter().map(|l| l.at))
        .min();
    let hours = |t: chrono::DateTime<chrono::Utc>| {
        t0.map_or(0.0, |t0| (t - t0).num_seconds() as f64 / 3600.0)
    };
    let share: Vec<(f64, f64)> = reports
        .iter()
        .rev()
        .map(|r| (hours(r.at), r.share_drifted))
        .collect();
    let threshold: Vec<(f64, f64)> = reports
        .iter()
        .rev()
        .map(|r| (hours(r.at), r.share_threshold))
        .collect();
    let live_f1: Vec<(f64, f64)> = live.iter().map(|l| (hours(l.at), l.f1_weighted)).collect();
    let holdout_f1: Vec<(f64, f64)> = live
        .iter()
        .filter_map(|l| Some((hours(l.at), l.holdout_f1?)))
        .collect();
    let body = html! {
        h1 { "Monitoring" }
        div.actions { (action_button(&viewer, "drift", &[], "Run a drift check now")) }
        @if let Some(a) = &alerts {
            h2 { "Alerts (Prometheus)" }
            @match a {
                Ok(list) if list.is_empty() => p.ok-text { "No alert is pending or firing." },
                Ok(list) => table {
                    thead { tr { th scope="col" { "Alert" } th scope="col" { "State" } th scope="col" { "Summary" } } }
                    tbody { @for (n, s, sum) in list { tr { td { (n) } td class=(if s == "firing" { "status-bad" } else { "status-warn" }) { (s) } td { (sum) } } } }
                },
                Err(e) => (layout::unavailable("Prometheus", &format!("{e:#}"))),
            }
        }
        h2 { "Drift share over time" }
        @if let Some(t0) = t0 { p.notice { "Hours since " (when(&t0)) "." } }
        (charts::lines("Share of drifted columns per report, with the threshold", &[("drifted share", share), ("threshold", threshold)], "hours", charts::int))
        h2 { "Live F1 by weekly batch" }
        (charts::lines("Production model's weighted F1 on each new batch, and its holdout F1", &[("live F1", live_f1), ("holdout F1", holdout_f1)], "hours", charts::int))
        @if !live.is_empty() {
            table {
                thead { tr { th scope="col" { "Batch" } th.num scope="col" { "Version" } th.num scope="col" { "Rows" } th.num scope="col" { "Live F1" } th.num scope="col" { "Holdout F1" } th scope="col" { "When" } } }
                tbody { @for l in live.iter().rev() {
                    tr { td { (l.batch) } td.num { (l.version) } td.num { (l.rows) } td.num { (format!("{:.4}", l.f1_weighted)) } td.num { (f4(l.holdout_f1)) } td { (when(&l.at)) } }
                } }
            }
        }
        h2 { "Drift reports" }
        @if reports.is_empty() { p.notice { "No drift report yet." } } @else {
            table #reports {
                thead { tr { th scope="col" { "Report" } th scope="col" { "When" } th.num scope="col" { "Current rows" } th.num scope="col" { "Drifted share" } th scope="col" { "Dataset drift" } } }
                tbody { @for r in &reports {
                    tr { td.mono { a href=(format!("/monitoring/reports/{}", urlencode(&r.id))) { (r.id) } } td { (when(&r.at)) } td.num { (r.current_rows) }
                         td.num { (pct(100.0 * r.share_drifted)) } td class=(if r.dataset_drift { "status-bad" } else { "status-ok" }) { (if r.dataset_drift { "yes" } else { "no" }) } }
                } }
            }
        }
    };
    layout::page(&viewer, "Monitoring", "/monitoring", None, body).into_response()
}

/// The stored report `id`, or the page saying it is not there (404) or the database did not answer (503).
async fn record(
    app: &App,
    viewer: &Viewer,
    id: &str,
) -> Result<data::inference::DriftReportRecord, Box<Response>> {
    match app.store.drift_report(id).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(Box::new(layout::error_page(
            viewer,
            StatusCode::NOT_FOUND,
            &format!("No drift report {id}."),
        ))),
        Err(e) => Err(Box::new(layout::error_page(
            viewer,
            StatusCode::SERVICE_UNAVAILABLE,
            &e.to_string(),
        ))),
    }
}

pub async fn report_page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let record = match record(&app, &viewer, &id).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let json: anyhow::Result<serde_json::Value> = async {
        let bytes = app
            .artifacts
            .get_verified(&record.json_key, &record.json_sha256)
            .await?;
        Ok(serde_json::from_slice(&bytes)?)
    }
    .await;
    let body = html! {
        h1 { "Drift report " span.mono { (record.id) } }
        (layout::figures(&[
            ("Window", format!("{} → {}", when(&record.window_start), when(&record.window_end))),
            ("Reference rows", record.reference_rows.to_string()),
            ("Current rows", record.current_rows.to_string()),
            ("Drifted columns", format!("{} of {} ({})", record.drifted_columns, record.columns, pct(100.0 * record.share_drifted))),
            ("Dataset drift", (if record.dataset_drift { "yes" } else { "no" }).to_string()),
        ]))
        p { a.button href=(format!("/monitoring/reports/{}/html", urlencode(&record.id))) { "Open the full HTML report" } }
        h2 { "Per column" }
        @match &json {
            Ok(j) => {
                @if let Some(note) = j["note"].as_str() { p.notice { (note) } }
                table #columns {
                    thead { tr { th scope="col" { "Column" } th scope="col" { "Type" } th scope="col" { "Test" } th.num scope="col" { "Score" } th.num scope="col" { "Threshold" } th scope="col" { "Drift" } } }
                    tbody { @for c in j["columns"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                        tr { td { (c["column_name"].as_str().unwrap_or("")) } td { (c["column_type"].as_str().unwrap_or("")) } td { (c["stattest_name"].as_str().unwrap_or("")) }
                             td.num { (f4(c["drift_score"].as_f64())) } td.num { (f4(c["threshold"].as_f64())) }
                             td class=(if c["drift_detected"].as_bool() == Some(true) { "status-bad" } else { "status-ok" }) { (if c["drift_detected"].as_bool() == Some(true) { "yes" } else { "no" }) } }
                    } }
                }
            }
            Err(e) => (layout::unavailable("The report's JSON", &format!("{e:#}"))),
        }
        p { a href="/monitoring" { "All reports" } }
    };
    layout::page(&viewer, "Drift report", "/monitoring", None, body).into_response()
}

/// The report's own HTML page, verified against its recorded sha256, in a sandbox (no script, no network).
pub async fn report_html(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let record = match record(&app, &viewer, &id).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match app
        .artifacts
        .get_verified(&record.html_key, &record.html_sha256)
        .await
    {
        Ok(bytes) => {
            let mut r =
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes).into_response();
            r.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                ),
            );
            r
        }
        Err(e) => layout::error_page(
            &viewer,
            StatusCode::BAD_GATEWAY,
            &format!("The report's HTML: {e}"),
        ),
    }
}
