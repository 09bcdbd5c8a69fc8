//! Infrastructure: the health of every part, and the schedules (pause, resume, trigger).

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::{action_button, status_class};
use crate::App;
use crate::layout::{self, Viewer, when};

struct Check {
    part: String,
    status: &'static str,
    detail: String,
    ms: f64,
}

async fn check<F, Fut>(part: impl Into<String>, f: F) -> Check
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(&'static str, String)>>,
{
    let t = Instant::now();
    let (status, detail) = f().await.unwrap_or_else(|e| ("down", format!("{e:#}")));
    Check {
        part: part.into(),
        status,
        detail,
        ms: t.elapsed().as_secs_f64() * 1e3,
    }
}

async fn inference_check(app: &App, url: &str) -> anyhow::Result<(&'static str, String)> {
    let mut ready = app.http.get(format!("{url}/readyz"));
    let mut current = app.http.get(format!("{url}/models/current"));
    if let Some(key) = &app.config.inference_api_key {
        ready = ready.bearer_auth(key);
        current = current.bearer_auth(key);
    }
    let ready = ready.send().await?;
    let is_ready = ready.status().is_success();
    let model: serde_json::Value = match current.send().await {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    let detail = match (model["name"].as_str(), &model["version"]) {
        (Some(n), v) if !v.is_null() => format!(
            "serving {n} v{}",
            v.as_str().map_or(v.to_string(), str::to_string)
        ),
        _ => "no model loaded".into(),
    };
    Ok((if is_ready { "ready" } else { "not ready" }, detail))
}

pub async fn page(State(app): State<Arc<App>>, Extension(viewer): Extension<Viewer>) -> Response {
    let mut checks = Vec::new();
    checks.push(
        check(format!("Database ({})", app.store.backend()), || async {
            app.store.ping().await?;
            Ok(("ok", "answers".to_string()))
        })
        .await,
    );
    checks.push(
        check(
            format!("Artifact store ({})", app.artifacts.url()),
            || async {
                app.artifacts.list("models/").await?;
                Ok(("ok", "lists".to_string()))
            },
        )
        .await,
    );
    for queue in contracts::TASK_QUEUES {
        checks.push(
            check(format!("Temporal task queue {queue}"), || async {
                let (wf, act) = app.temporal.pollers(queue).await?;
                let status = if wf + act > 0 { "ok" } else { "no worker" };
                Ok((
                    status,
                    format!("{wf} workflow poller(s), {act} activity poller(s)"),
                ))
            })
            .await,
        );
    }
    for url in &app.config.inference {
        checks.push(
            check(format!("Inference service {url}"), || {
                inference_check(&app, url)
            })
            .await,
        );
    }
    if let Some(p) = &app.config.prometheus {
        checks.push(
            check(format!("Prometheus {p}"), || async {
                let r = app.http.get(format!("{p}/-/ready")).send().await?;
                Ok(if r.status().is_success() {
                    ("ok", "ready".into())
                } else {
                    ("down", r.status().to_string())
                })
            })
            .await,
        );
    }
    let mut schedules = Vec::new();
    for id in [
        contracts::WEEKLY_INGEST_SCHEDULE_ID,
        contracts::DAILY_DRIFT_SCHEDULE_ID,
    ] {
        schedules.push((id, app.temporal.schedule(id).await));
    }
    let body = html! {
        h1 { "Infrastructure" }
        p { "Temporal at " span.mono { (app.config.temporal_address) } ", namespace " span.mono { (app.temporal.namespace) } "." }
        h2 { "Health" }
        table {
            thead { tr { th scope="col" { "Part" } th scope="col" { "Status" } th scope="col" { "Detail" } th.num scope="col" { "Checked in" } } }
            tbody {
                @for c in &checks {
                    tr { td { (c.part) } td class=(status_class(c.status)) { (c.status) } td { (c.detail) } td.num { (format!("{:.0} ms", c.ms)) } }
                }
            }
        }
        h2 { "Schedules" }
        (schedule_table(&viewer, &schedules))
    };
    layout::page(&viewer, "Infrastructure", "/infrastructure", None, body).into_response()
}

fn schedule_table(
    viewer: &Viewer,
    schedules: &[(&str, anyhow::Result<crate::temporal::ScheduleInfo>)],
) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "Schedule" } th scope="col" { "State" } th scope="col" { "Next runs" } th scope="col" { "Actions" } } }
            tbody {
                @for (id, s) in schedules {
                    tr {
                        td.mono { (id) }
                        @match s {
                            Ok(s) => {
                                td { @if s.paused { span.status-warn { "paused" } } @else { span.status-ok { "active" } }
                                     @if let Some(n) = &s.note { br; small { (n) } } }
                                td { @for t in &s.next_runs { (when(t)) br; } small { (s.recent) " recent run(s)" } }
                                td { div.actions {
                                    @if s.paused {
                                        (action_button(viewer, "schedule", &[("id", id.to_string()), ("op", "resume".into())], "Resume"))
                                    } @else {
                                        (action_button(viewer, "schedule", &[("id", id.to_string()), ("op", "pause".into())], "Pause"))
                                    }
                                    (action_button(viewer, "schedule", &[("id", id.to_string()), ("op", "trigger".into())], "Trigger now"))
                                } }
                            }
                            Err(e) => { td.status-bad colspan="3" { "unavailable: " (format!("{e:#}")) } }
                        }
                    }
                }
            }
        }
    }
}
