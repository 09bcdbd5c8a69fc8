//! The six pages, and what several of them show.

pub mod dataset;
pub mod home;
pub mod infra;
pub mod monitoring;
pub mod predictions;
pub mod training;

use maud::{Markup, html};

use crate::App;
use crate::layout::{Viewer, when};
use crate::temporal::WorkflowRun;

/// A deep link into the Temporal UI: a workflow run, or the namespace's workflow list.
pub fn temporal_link(app: &App, run: Option<(&str, &str)>) -> String {
    let ui = app
        .config
        .temporal_ui
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    let ns = &app.temporal.namespace;
    match run {
        Some((id, "")) => format!("{ui}/namespaces/{ns}/workflows/{id}"),
        Some((id, run_id)) => format!("{ui}/namespaces/{ns}/workflows/{id}/{run_id}/history"),
        None => format!("{ui}/namespaces/{ns}/workflows"),
    }
}

pub fn workflow_table(app: &App, runs: &[WorkflowRun]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Workflow" } th scope="col" { "Id" } th scope="col" { "Status" }
                th scope="col" { "Started" } th scope="col" { "Closed" }
            } }
            tbody {
                @for r in runs {
                    tr {
                        td { (r.workflow_type) }
                        td.mono {
                            @if app.config.temporal_ui.is_some() {
                                a href=(temporal_link(app, Some((&r.workflow_id, &r.run_id)))) { (r.workflow_id) }
                            } @else { (r.workflow_id) }
                        }
                        td class=(status_class(&r.status)) { (r.status) }
                        td { (r.started.as_ref().map(when).unwrap_or_default()) }
                        td { (r.closed.as_ref().map(when).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

pub fn status_class(status: &str) -> &'static str {
    match status {
        "Completed" | "ok" | "ready" | "healthy" | "Production" => "status-ok",
        "Running" | "degraded" | "Staging" => "status-warn",
        _ => "status-bad",
    }
}

/// A button leading to the confirmation page of `action` with `params` (or to the login when not logged in).
pub fn action_button(
    viewer: &Viewer,
    action: &str,
    params: &[(&str, String)],
    label: &str,
) -> Markup {
    let mut query = format!("action={action}");
    for (k, v) in params {
        query.push('&');
        query.push_str(k);
        query.push('=');
        query.push_str(&urlencode(v));
    }
    let target = format!("/confirm?{query}");
    let href = if viewer.operator.is_some() {
        target
    } else {
        format!("/login?next={}", urlencode(&target))
    };
    html! { a.button href=(href) { (label) } }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
