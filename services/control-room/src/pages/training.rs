//! Training: the runs (sortable), one run's page (parameters, loss and F1 by epoch, per-class F1, confusion
//! matrix), two runs side by side, and the registry's versions with their stages, aliases and decisions.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use registry::runs::Run;
use serde::Deserialize;

use super::{action_button, status_class, urlencode};
use crate::layout::{self, Viewer, f4, when};
use crate::{App, charts};

#[derive(Deserialize, Default)]
pub struct RunsQuery {
    sort: Option<String>,
    dir: Option<String>,
}

fn f1(r: &Run) -> Option<f64> {
    r.metrics.get("f1_weighted").and_then(|v| v.as_f64())
}

fn model_type(r: &Run) -> String {
    r.params
        .get("model_type")
        .and_then(|v| v.as_str())
        .unwrap_or("–")
        .to_string()
}

fn trigger(r: &Run) -> String {
    r.params
        .get("reason")
        .and_then(|v| v.as_str())
        .unwrap_or("–")
        .to_string()
}

fn duration_s(r: &Run) -> Option<f64> {
    r.ended_at
        .map(|e| (e - r.started_at).num_milliseconds() as f64 / 1e3)
}

const SORTS: [(&str, &str); 6] = [
    ("started", "Started"),
    ("f1", "Holdout F1"),
    ("dataset", "Dataset"),
    ("model", "Model type"),
    ("duration", "Duration"),
    ("trigger", "Trigger"),
];

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<RunsQuery>,
) -> Response {
    let name = app.config.model_name.clone();
    let (runs, versions, transitions) = tokio::join!(
        app.registry.runs(200),
        app.registry.versions(Some(&name)),
        app.registry.transitions(&name),
    );
    let sort = q
        .sort
        .as_deref()
        .filter(|s| SORTS.iter().any(|(k, _)| k == s))
        .unwrap_or("started");
    let desc = q.dir.as_deref() != Some("asc");
    let mut runs = runs.unwrap_or_default();
    runs.sort_by(|a, b| {
        let o = match sort {
            "f1" => f1(a)
                .partial_cmp(&f1(b))
                .unwrap_or(std::cmp::Ordering::Equal),
            "dataset" => a.dataset_version.cmp(&b.dataset_version),
            "model" => model_type(a).cmp(&model_type(b)),
            "duration" => duration_s(a)
                .partial_cmp(&duration_s(b))
                .unwrap_or(std::cmp::Ordering::Equal),
            "trigger" => trigger(a).cmp(&trigger(b)),
            _ => a.started_at.cmp(&b.started_at),
        };
        if desc { o.reverse() } else { o }
    });
    let versions = versions.unwrap_or_default();
    let mut decisions = Vec::new();
    for v in versions.iter().take(20) {
        if let Ok(Some(d)) = app.registry.last_decision(&name, v.version).await {
            decisions.push((v.version, d));
        }
    }
    let body = html! {
        h1 { "Training" }
        div.actions { (action_button(&viewer, "train", &[], "Train now")) }
        h2 { "Registered versions of " (name) }
        @if versions.is_empty() { p.notice { "No version registered yet." } } @else {
            table #versions {
                thead { tr { th.num scope="col" { "Version" } th scope="col" { "Stage" } th scope="col" { "Aliases" } th.num scope="col" { "Holdout F1" }
                             th scope="col" { "Run" } th scope="col" { "Dataset" } th scope="col" { "Created" } th scope="col" { "Actions" } } }
                tbody { @for v in &versions {
                    tr {
                        td.num { (v.version) }
                        td class=(status_class(v.stage.as_str())) { (v.stage.as_str()) }
                        td { @for a in &v.aliases { span.tag { (a) } } }
                        td.num { (f4(v.f1_weighted())) }
                        td.mono { @if let Some(r) = &v.run_id { a href=(format!("/training/runs/{}", urlencode(r))) { (r) } } }
                        td.mono { (v.dataset_version.as_deref().unwrap_or("–")) }
                        td { (when(&v.created_at)) }
                        td { div.actions {
                            @if v.stage != registry::Stage::Production {
                                (action_button(&viewer, "promote", &[("version", v.version.to_string())], "Promote"))
                                @if v.aliases.iter().any(|a| a == "shadow") {
                                    (action_button(&viewer, "unshadow", &[("version", v.version.to_string())], "Remove shadow"))
                                } @else {
                                    (action_button(&viewer, "shadow", &[("version", v.version.to_string())], "Set shadow"))
                                }
                            } @else {
                                (action_button(&viewer, "rollback", &[], "Roll back"))
                            }
                        } }
                    }
                } }
            }
        }
        h2 { "Promotion decisions" }
        @if decisions.is_empty() { p.notice { "No decision recorded yet." } } @else {
            table {
                thead { tr { th.num scope="col" { "Version" } th scope="col" { "Promoted" } th.num scope="col" { "Candidate F1" } th.num scope="col" { "Champion F1" }
                             th.num scope="col" { "Required" } th scope="col" { "Evidence" } } }
                tbody { @for (v, d) in &decisions {
                    tr { td.num { (v) } td class=(if d.promote { "status-ok" } else { "status-bad" }) { (if d.promote { "yes" } else { "no" }) }
                         td.num { (format!("{:.4}", d.candidate.f1_weighted)) } td.num { (f4(d.champion.as_ref().map(|c| c.f1_weighted))) }
                         td.num { (format!("{:.4}", d.required_f1_weighted)) } td { (d.reason) } }
                } }
            }
        }
        @if let Ok(ts) = &transitions { @if !ts.is_empty() {
            h3 { "Stage transitions" }
            table {
                thead { tr { th.num scope="col" { "Version" } th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Who" } th scope="col" { "Why" } th scope="col" { "When" } } }
                tbody { @for (v, from, to, actor, reason, at) in ts.iter().take(20) {
                    tr { td.num { (v) } td { (from) } td { (to) } td { (actor) } td { (reason) } td { (when(at)) } }
                } }
            }
        } }
        h2 #runs { "Runs" }
        form.filters method="get" action="/training/compare" {
            label for="a" { "Compare run" select #a name="a" { @for r in &runs { option value=(r.id) { (r.id) " · " (f4(f1(r))) } } } }
            label for="b" { "with run" select #b name="b" { @for (i, r) in runs.iter().enumerate() { option value=(r.id) selected[i == 1] { (r.id) " · " (f4(f1(r))) } } } }
            button type="submit" { "Compare" }
        }
        table {
            thead { tr {
                th scope="col" { "Run" } th scope="col" { "Status" }
                @for (k, label) in SORTS {
                    @let next_dir = if sort == k && desc { "asc" } else { "desc" };
                    th scope="col" aria-sort=[(sort == k).then_some(if desc { "descending" } else { "ascending" })] {
                        a href=(format!("/training?sort={k}&dir={next_dir}#runs")) { (label) }
                    }
                }
            } }
            tbody { @for r in &runs {
                tr {
                    td.mono { a href=(format!("/training/runs/{}", urlencode(&r.id))) { (r.id) } }
                    td class=(if r.status == "finished" { "status-ok" } else if r.status == "running" { "status-warn" } else { "status-bad" }) { (r.status) }
                    td { (when(&r.started_at)) }
                    td.num { (f4(f1(r))) }
                    td.mono { (r.dataset_version.as_deref().unwrap_or("–")) }
                    td { (model_type(r)) }
                    td.num { (duration_s(r).map_or("–".into(), |d| format!("{d:.1} s"))) }
                    td { (trigger(r)) }
                }
            } }
        }
    };
    layout::page(&viewer, "Training", "/training", None, body).into_response()
}

fn epoch_chart(run: &Run) -> Markup {
    let series = |key: &str| -> Vec<(f64, f64)> {
        run.steps
            .get(key)
            .map(|s| s.iter().map(|(x, y)| (*x as f64, *y)).collect())
            .unwrap_or_default()
    };
    html! {
        div.grid2 {
            div { h3 { "Training loss by epoch" } (charts::lines("Training loss by epoch", &[("train loss", series("train_loss"))], "epoch", charts::int)) }
            div { h3 { "Validation F1 by epoch" } (charts::lines("Validation weighted F1 by epoch", &[("validation F1", series("validation_f1_weighted"))], "epoch", charts::int)) }
        }
    }
}

fn per_class(run: &Run) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = run
        .metrics
        .get("per_class_f1")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|(k, _)| k.parse::<i64>().unwrap_or(i64::MAX));
    v
}

fn confusion(run: &Run) -> Markup {
    let labels: Vec<i64> = run
        .metrics
        .get("labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default();
    let matrix: Vec<Vec<u64>> = run
        .metrics
        .get("confusion")
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    if labels.is_empty() || matrix.len() != labels.len() {
        return html! { p.notice { "No confusion matrix recorded for this run." } };
    }
    html! {
        div.scroll tabindex="0" role="region" aria-label="Confusion matrix, scrollable" {
            table.confusion {
                caption { "Rows: true class; columns: predicted class (holdout)" }
                thead { tr { th scope="col" { "true \\ pred" } @for l in &labels { th scope="col" { (l) } } } }
                tbody { @for (i, row) in matrix.iter().enumerate() {
                    @let total: u64 = row.iter().sum::<u64>().max(1);
                    tr { th scope="row" { (labels[i]) }
                        @for n in row {
                            @let share = *n as f64 / total as f64;
                            @let heat = if *n == 0 { 0 } else if share < 0.05 { 1 } else if share < 0.25 { 2 } else if share < 0.6 { 3 } else { 4 };
                            td class=(format!("h{heat}")) { (n) }
                        }
                    }
                } }
            }
        }
    }
}

fn run_details(run: &Run) -> Markup {
    html! {
        (layout::figures(&[
            ("Status", run.status.clone()),
            ("Holdout F1 (weighted)", f4(f1(run))),
            ("Macro F1", f4(run.metrics.get("f1_macro").and_then(|v| v.as_f64()))),
            ("Dataset", run.dataset_version.clone().unwrap_or_else(|| "–".into())),
            ("Model type", model_type(run)),
            ("Duration", duration_s(run).map_or("–".into(), |d| format!("{d:.1} s"))),
            ("Trigger", trigger(run)),
            ("Code version", run.code_version.clone().unwrap_or_else(|| "–".into())),
        ]))
    }
}

pub async fn run_page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Response {
    let run = match app.registry.run(&id).await {
        Ok(r) => r,
        Err(e) => return layout::error_page(&viewer, StatusCode::NOT_FOUND, &e.to_string()),
    };
    let pc = per_class(&run);
    let body = html! {
        h1 { "Run " span.mono { (run.id) } }
        (run_details(&run))
        (epoch_chart(&run))
        h2 { "Per-class F1 (holdout)" }
        @if pc.is_empty() { p.notice { "No per-class scores recorded." } } @else {
            (charts::bars("Per-class F1 on the holdout", &["F1"], &pc.iter().map(|(k, v)| (k.clone(), vec![*v])).collect::<Vec<_>>(), charts::frac))
        }
        h2 { "Confusion matrix" }
        (confusion(&run))
        h2 { "Parameters" }
        table { tbody { @if let Some(m) = run.params.as_object() { @for (k, v) in m {
            tr { th scope="row" { (k) } td.mono { (v.to_string()) } }
        } } } }
        p { a href="/training#runs" { "All runs" } }
    };
    layout::page(&viewer, &format!("Run {}", run.id), "/training", None, body).into_response()
}

#[derive(Deserialize)]
pub struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

pub async fn compare_page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let (Some(a), Some(b)) = (q.a, q.b) else {
        return layout::error_page(
            &viewer,
            StatusCode::BAD_REQUEST,
            "Compare needs two runs: ?a=RUN&b=RUN.",
        );
    };
    let (ra, rb) = match tokio::join!(app.registry.run(&a), app.registry.run(&b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            return layout::error_page(&viewer, StatusCode::NOT_FOUND, &e.to_string());
        }
    };
    let (pa, pb) = (per_class(&ra), per_class(&rb));
    let rows: Vec<(String, Vec<f64>)> = pa
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                vec![
                    *v,
                    pb.iter().find(|(kb, _)| kb == k).map_or(0.0, |(_, x)| *x),
                ],
            )
        })
        .collect();
    let series = |r: &Run, key: &str| -> Vec<(f64, f64)> {
        r.steps
            .get(key)
            .map(|s| s.iter().map(|(x, y)| (*x as f64, *y)).collect())
            .unwrap_or_default()
    };
    let (la, lb) = ("run A".to_string(), "run B".to_string());
    let body = html! {
        h1 { "Two runs side by side" }
        div.grid2 {
            div { h2 { "A: " a.mono href=(format!("/training/runs/{}", urlencode(&ra.id))) { (ra.id) } } (run_details(&ra)) }
            div { h2 { "B: " a.mono href=(format!("/training/runs/{}", urlencode(&rb.id))) { (rb.id) } } (run_details(&rb)) }
        }
        h2 { "Validation F1 by epoch" }
        (charts::lines("Validation F1 by epoch, both runs", &[(la.as_str(), series(&ra, "validation_f1_weighted")), (lb.as_str(), series(&rb, "validation_f1_weighted"))], "epoch", charts::int))
        h2 { "Per-class F1" }
        @if rows.is_empty() { p.notice { "No per-class scores recorded." } } @else {
            (charts::bars("Per-class F1, run A and run B", &[la.as_str(), lb.as_str()], &rows, charts::frac))
        }
    };
    layout::page(&viewer, "Compare runs", "/training", None, body).into_response()
}
