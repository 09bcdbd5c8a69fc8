//! Predictions: a form answered by the inference service (top-5 chart, confidence, latency, version), the
//! prediction history from the inference log (filters, paged by key), and a CSV scored in batch.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::urlencode;
use crate::auth::check_csrf;
use crate::layout::{self, Flash, Viewer, csrf_field, when};
use crate::queries::{self, HistoryFilter};
use crate::{App, charts};

/// Rows of an uploaded CSV scored at most (the inference service's batch bound is per request; we send 256 at
/// a time).
pub const MAX_CSV_ROWS: usize = 5_000;
const CSV_CHUNK: usize = 256;
const MAX_TEXT: usize = 10_000;

#[derive(Deserialize, Default)]
pub struct HistoryQuery {
    class: Option<String>,
    version: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<String>,
}

fn day(s: Option<&str>) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s?.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

impl HistoryQuery {
    fn filter(&self) -> HistoryFilter {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        HistoryFilter {
            class: nonempty(&self.class).and_then(|c| c.parse().ok()),
            version: nonempty(&self.version),
            since: day(self.since.as_deref()),
            until: day(self.until.as_deref()).map(|d| d + chrono::Duration::days(1)),
            before: self.before.as_deref().and_then(|b| {
                let (at, id) = b.split_once('|')?;
                Some((
                    DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
                    id.to_string(),
                ))
            }),
        }
    }

    fn query_string(&self, before: Option<&str>) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("class", &self.class),
            ("version", &self.version),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={}", urlencode(v)));
            }
        }
        if let Some(b) = before {
            q.push(format!("before={}", urlencode(b)));
        }
        q.join("&")
    }
}

/// One answer of the inference service, as the form shows it.
struct Answered {
    predicted_class: i64,
    confidence: f64,
    top: Vec<(String, f64)>,
    model_version: String,
    prediction_id: String,
    latency_ms: f64,
}

async fn call_predict(app: &App, designation: &str, description: &str) -> anyhow::Result<Answered> {
    let url = app
        .config
        .inference
        .first()
        .ok_or_else(|| anyhow::anyhow!("no inference service configured (--inference-url)"))?;
    let mut req = app
        .http
        .post(format!("{url}/predict"))
        .json(&serde_json::json!({
            "designation": designation, "description": description, "top_k": 5,
        }));
    if let Some(k) = &app.config.inference_api_key {
        req = req.bearer_auth(k);
    }
    let t = Instant::now();
    let r = req.send().await?;
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    if !status.is_success() {
        anyhow::bail!(
            "the inference service answered {status}: {}",
            body["error"].as_str().unwrap_or("no message")
        );
    }
    let mut top: Vec<(String, f64)> = body["probabilities"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(Answered {
        predicted_class: body["predicted_class"].as_i64().unwrap_or_default(),
        confidence: body["confidence"].as_f64().unwrap_or_default(),
        top,
        model_version: body["model_version"].as_str().unwrap_or("").to_string(),
        prediction_id: body["prediction_id"].as_str().unwrap_or("").to_string(),
        latency_ms,
    })
}

fn form(viewer: &Viewer, designation: &str, description: &str) -> Markup {
    html! {
        form.card method="post" action="/predictions/predict" {
            (csrf_field(viewer))
            p { label for="designation" { "Designation (title)" } br;
                input #designation type="text" name="designation" required maxlength="10000" size="80" value=(designation); }
            p { label for="description" { "Description (optional, HTML allowed)" } br;
                textarea #description name="description" rows="4" maxlength="10000" { (description) } }
            button type="submit" { "Predict" }
        }
        form.card method="post" action="/predictions/batch" enctype="multipart/form-data" {
            (csrf_field(viewer))
            p { label for="csvfile" { "Score a CSV in batch (header: designation, description; at most 5,000 rows)" } br;
                input #csvfile type="file" name="file" accept=".csv,text/csv" required; }
            button type="submit" { "Score and download CSV" }
        }
    }
}

async fn render(
    app: &App,
    viewer: &Viewer,
    q: &HistoryQuery,
    top: Markup,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let filter = q.filter();
    let (rows, versions) = tokio::join!(
        queries::history(&app.store, &filter),
        app.registry.versions(Some(&app.config.model_name))
    );
    let versions = versions.unwrap_or_default();
    let body = html! {
        h1 { "Predictions" }
        (top)
        h2 #history { "Prediction history" }
        form.filters method="get" action="/predictions#history" {
            label for="f-class" { "Class" input #f-class type="text" inputmode="numeric" name="class" value=(q.class.as_deref().unwrap_or("")); }
            label for="f-version" { "Model version"
                select #f-version name="version" {
                    option value="" { "any" }
                    @for v in &versions { @let s = v.version.to_string(); option value=(s) selected[q.version.as_deref() == Some(s.as_str())] { "v" (s) } }
                }
            }
            label for="f-since" { "From (YYYY-MM-DD)" input #f-since type="text" name="since" value=(q.since.as_deref().unwrap_or("")); }
            label for="f-until" { "To (YYYY-MM-DD)" input #f-until type="text" name="until" value=(q.until.as_deref().unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        @match &rows {
            Ok(rs) => {
                @let shown = &rs[..rs.len().min(queries::PAGE as usize)];
                @if shown.is_empty() { p.notice { "No prediction matches." } } @else {
                    table {
                        thead { tr { th scope="col" { "When" } th scope="col" { "Designation" } th.num scope="col" { "Class" } th.num scope="col" { "Confidence" }
                                     th.num scope="col" { "Version" } th.num scope="col" { "Latency" } } }
                        tbody { @for r in shown {
                            tr { td { (when(&r.at)) } td { (r.designation) } td.num { (r.predicted_class) } td.num { (format!("{:.3}", r.confidence)) }
                                 td.num { (r.model_version) } td.num { (format!("{:.1} ms", r.latency_ms)) } }
                        } }
                    }
                }
                div.pager {
                    @if filter.before.is_some() { a href=(format!("/predictions?{}#history", q.query_string(None))) { "Newest" } }
                    @if rs.len() as i64 > queries::PAGE { @if let Some(last) = shown.last() {
                        @let cursor = format!("{}|{}", last.at.to_rfc3339(), last.prediction_id);
                        a href=(format!("/predictions?{}#history", q.query_string(Some(&cursor)))) { "Older" }
                    } }
                }
            }
            Err(e) => (layout::unavailable("Inference log", &e.to_string())),
        }
    };
    let mut r = layout::page(viewer, "Predictions", "/predictions", flash, body).into_response();
    *r.status_mut() = status;
    r
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let top = form(&viewer, "", "");
    render(&app, &viewer, &q, top, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct PredictForm {
    csrf: Option<String>,
    designation: Option<String>,
    description: Option<String>,
}

pub async fn predict(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(f): Form<PredictForm>,
) -> Response {
    if let Err(r) = check_csrf(&viewer, &headers, f.csrf.as_deref()) {
        return *r;
    }
    let designation = f.designation.unwrap_or_default();
    let description = f.description.unwrap_or_default();
    let q = HistoryQuery::default();
    if designation.trim().is_empty() || designation.len() > MAX_TEXT || description.len() > MAX_TEXT
    {
        let top = form(&viewer, &designation, &description);
        let flash = Flash::error(
            "A designation of 1 to 10,000 characters is required (the description at most 10,000).",
        );
        return render(&app, &viewer, &q, top, Some(flash), StatusCode::BAD_REQUEST).await;
    }
    match call_predict(&app, &designation, &description).await {
        Ok(a) => {
            let rows: Vec<(String, Vec<f64>)> =
                a.top.iter().map(|(k, p)| (k.clone(), vec![*p])).collect();
            let top = html! {
                section.card #answer aria-labelledby="answer-h" {
                    h2 #answer-h { "Prediction" }
                    p.product { "For " q { (designation) } }
                    (layout::figures(&[
                        ("Predicted class", a.predicted_class.to_string()),
                        ("Confidence", format!("{:.3}", a.confidence)),
                        ("Latency (round trip)", format!("{:.1} ms", a.latency_ms)),
                        ("Model version", format!("v{}", a.model_version)),
                    ]))
                    h3 { "Top 5 classes" }
                    (charts::bars("Top-5 class probabilities", &["probability"], &rows, charts::frac))
                    table #top5 {
                        thead { tr { th.num scope="col" { "Class" } th.num scope="col" { "Probability" } } }
                        tbody { @for (k, p) in &a.top { tr { td.num { (k) } td.num { (format!("{p:.4}")) } } } }
                    }
                    p.mono { "prediction id " (a.prediction_id) }
                }
                (form(&viewer, &designation, &description))
            };
            render(&app, &viewer, &q, top, None, StatusCode::OK).await
        }
        Err(e) => {
            let top = form(&viewer, &designation, &description);
            render(
                &app,
                &viewer,
                &q,
                top,
                Some(Flash::error(format!("{e:#}"))),
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
    }
}

/// Reads the uploaded CSV: (designation, description) per row, or the error naming the line.
fn parse_csv(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let d = col("designation").ok_or("line 1: the header has no designation column")?;
    let s = col("description");
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let r = record.map_err(|e| format!("line {line}: {e}"))?;
        let designation = r.get(d).unwrap_or("").to_string();
        if designation.trim().is_empty() {
            return Err(format!("line {line}: empty designation"));
        }
        if out.len() == MAX_CSV_ROWS {
            return Err(format!("line {line}: more than {MAX_CSV_ROWS} rows"));
        }
        out.push((
            designation,
            s.and_then(|s| r.get(s)).unwrap_or("").to_string(),
        ));
    }
    if out.is_empty() {
        return Err("the file has no rows after its header".into());
    }
    Ok(out)
}

pub async fn batch_csv(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let mut csrf = None;
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name == "csrf" => {
                        csrf = Some(String::from_utf8_lossy(&b).into_owned())
                    }
                    Ok(b) if name == "file" => file = Some(b),
                    Ok(_) => {}
                    Err(e) => {
                        return layout::error_page(
                            &viewer,
                            StatusCode::BAD_REQUEST,
                            &format!("upload: {e}"),
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return layout::error_page(
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    &format!("upload: {e}"),
                );
            }
        }
    }
    if let Err(r) = check_csrf(&viewer, &headers, csrf.as_deref()) {
        return *r;
    }
    let Some(file) = file else {
        return layout::error_page(
            &viewer,
            StatusCode::BAD_REQUEST,
            "No file uploaded (field \"file\").",
        );
    };
    let rows = match parse_csv(&file) {
        Ok(r) => r,
        Err(e) => {
            return layout::error_page(
                &viewer,
                StatusCode::BAD_REQUEST,
                &format!("The CSV was not scored: {e}."),
            );
        }
    };
    let Some(url) = app.config.inference.first() else {
        return layout::error_page(
            &viewer,
            StatusCode::SERVICE_UNAVAILABLE,
            "No inference service configured.",
        );
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record([
        "row",
        "designation",
        "predicted_class",
        "confidence",
        "model_version",
        "prediction_id",
    ]);
    for (c, chunk) in rows.chunks(CSV_CHUNK).enumerate() {
        let items: Vec<_> = chunk
            .iter()
            .map(|(d, s)| serde_json::json!({"designation": d, "description": s}))
            .collect();
        let mut req = app
            .http
            .post(format!("{url}/predict/batch"))
            .json(&serde_json::json!({ "items": items }));
        if let Some(k) = &app.config.inference_api_key {
            req = req.bearer_auth(k);
        }
        let answer: anyhow::Result<serde_json::Value> = async {
            let r = req.send().await?;
            let status = r.status();
            let body: serde_json::Value = r.json().await?;
            if !status.is_success() {
                anyhow::bail!(
                    "{status}: {}",
                    body["error"].as_str().unwrap_or("no message")
                );
            }
            Ok(body)
        }
        .await;
        let body = match answer {
            Ok(b) => b,
            Err(e) => {
                return layout::error_page(
                    &viewer,
                    StatusCode::BAD_GATEWAY,
                    &format!("The inference service refused the batch: {e:#}"),
                );
            }
        };
        let preds = body["predictions"].as_array().cloned().unwrap_or_default();
        for (i, ((d, _), p)) in chunk.iter().zip(preds.iter()).enumerate() {
            let _ = out.write_record([
                (c * CSV_CHUNK + i + 1).to_string(),
                d.clone(),
                p["predicted_class"].to_string(),
                p["confidence"]
                    .as_f64()
                    .map(|x| format!("{x:.4}"))
                    .unwrap_or_default(),
                p["model_version"].as_str().unwrap_or("").to_string(),
                p["prediction_id"].as_str().unwrap_or("").to_string(),
            ]);
        }
    }
    let bytes = out.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"predictions.csv\"",
            ),
        ],
        bytes,
    )
        .into_response()
}
