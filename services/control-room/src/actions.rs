//! Actions: a confirmation page, then a POST that needs an operator session and the CSRF token, runs the
//! action, and is written to the audit log with the operator's name (`ui:NAME`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use contracts::lifecycle::{DailyDriftInput, IngestInput, TrainingInput};
use maud::html;

use crate::auth::{check_csrf, require_operator};
use crate::layout::{self, Flash, Viewer, csrf_field};
use crate::{App, queries};

const SCHEDULES: [&str; 2] = [
    contracts::WEEKLY_INGEST_SCHEDULE_ID,
    contracts::DAILY_DRIFT_SCHEDULE_ID,
];

/// What an action will do, in words, or why its parameters are wrong.
fn describe(app: &App, action: &str, p: &HashMap<String, String>) -> Result<String, String> {
    let name = &app.config.model_name;
    let version = || -> Result<i64, String> {
        p.get("version")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| "a positive version number is required".to_string())
    };
    Ok(match action {
        "train" => "Start a Training workflow on the newest dataset version now.".into(),
        "ingest" => "Start a WeeklyIngest now: load the next batch of the pool, build its dataset version and train on it.".into(),
        "drift" => "Start a DailyDrift check now over the inferences logged since the last report.".into(),
        "promote" => format!("Promote {name} v{} to Production (the current Production version is archived; the inference services load it).", version()?),
        "rollback" => format!("Roll {name} back: the previous Production version becomes Production again."),
        "shadow" => format!("Set {name} v{} as the shadow: the inference services score a share of requests with it off the request path.", version()?),
        "unshadow" => format!("Remove the shadow alias from {name} v{}.", version()?),
        "schedule" => {
            let id = p.get("id").filter(|i| SCHEDULES.contains(&i.as_str())).ok_or("an unknown schedule")?;
            match p.get("op").map(String::as_str) {
                Some("pause") => format!("Pause the schedule {id}."),
                Some("resume") => format!("Resume the schedule {id}."),
                Some("trigger") => format!("Trigger the schedule {id} now."),
                _ => return Err("op must be pause, resume or trigger".into()),
            }
        }
        other => return Err(format!("unknown action {other:?}")),
    })
}

pub async fn confirm_page(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Query(mut p): Query<HashMap<String, String>>,
) -> Response {
    let action = p.remove("action").unwrap_or_default();
    if viewer.operator.is_none() && viewer.actions_enabled {
        let mut next = format!("/confirm?action={}", super::pages::urlencode(&action));
        for (k, v) in &p {
            next.push_str(&format!(
                "&{}={}",
                super::pages::urlencode(k),
                super::pages::urlencode(v)
            ));
        }
        return Redirect::to(&format!("/login?next={}", super::pages::urlencode(&next)))
            .into_response();
    }
    if let Err(r) = require_operator(&viewer) {
        return *r;
    }
    let what = match describe(&app, &action, &p) {
        Ok(w) => w,
        Err(e) => return layout::error_page(&viewer, StatusCode::BAD_REQUEST, &e),
    };
    let body = html! {
        h1 { "Confirm" }
        form.card method="post" action=(format!("/actions/{action}")) {
            (csrf_field(&viewer))
            @for (k, v) in &p { @if ["version", "id", "op"].contains(&k.as_str()) { input type="hidden" name=(k) value=(v); } }
            p #what { (what) }
            p { label for="reason" { "Reason (recorded in the audit log)" } br;
                input #reason type="text" name="reason" maxlength="200" size="60" value="from the control room"; }
            div.actions {
                button type="submit" { "Confirm" }
                a.button.secondary href="/" { "Cancel" }
            }
        }
    };
    layout::page(&viewer, "Confirm", "", None, body).into_response()
}

pub async fn act(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    Path(action): Path<String>,
    headers: HeaderMap,
    Form(p): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_csrf(&viewer, &headers, p.get("csrf").map(String::as_str)) {
        return *r;
    }
    let operator = match require_operator(&viewer) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    if let Err(e) = describe(&app, &action, &p) {
        return layout::error_page(&viewer, StatusCode::BAD_REQUEST, &e);
    }
    let actor = App::actor(&operator);
    let reason = p
        .get("reason")
        .map(|r| r.trim().chars().take(200).collect::<String>())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "from the control room".into());
    let outcome = run(&app, &action, &p, &actor, &reason).await;
    let (flash, status) = match outcome {
        Ok(msg) => (Flash::ok(msg), StatusCode::OK),
        // The registry refusing (nothing to roll back to, a version that does not exist): the request conflicts
        // with the state; anything else is a part that did not answer (Temporal, the database).
        Err(e) if e.downcast_ref::<registry::RegistryError>().is_some() => {
            (Flash::error(format!("{e:#}")), StatusCode::CONFLICT)
        }
        Err(e) => (Flash::error(format!("{e:#}")), StatusCode::BAD_GATEWAY),
    };
    tracing::info!(%action, %actor, ok = status.is_success(), "control room action");
    let back = match action.as_str() {
        "ingest" => "/dataset",
        "drift" => "/monitoring",
        "schedule" => "/infrastructure",
        _ => "/training",
    };
    let body = html! {
        h1 { "Action" }
        p { a href=(back) { "Back" } " · " a href="/" { "Home" } }
    };
    let mut r = layout::page(&viewer, "Action", "", Some(flash), body).into_response();
    *r.status_mut() = status;
    r
}

async fn run(
    app: &App,
    action: &str,
    p: &HashMap<String, String>,
    actor: &str,
    reason: &str,
) -> anyhow::Result<String> {
    let name = app.config.model_name.clone();
    let version = || {
        p.get("version")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3f").to_string();
    match action {
        "train" => {
            let id = format!("training-ui-{stamp}");
            let input = TrainingInput {
                dataset_id: None,
                reason: format!("control room: {actor}: {reason}"),
                run_key: Some(format!("ui-{stamp}")),
                options: Default::default(),
            };
            app.temporal.start_training(&id, input).await?;
            started(app, actor, reason, "Training", &id).await
        }
        "ingest" => {
            let batch = format!("ui-{stamp}");
            let id = format!("weekly-ingest-{batch}");
            let input = IngestInput {
                batch: Some(batch),
                ..Default::default()
            };
            app.temporal.start_ingest(&id, input).await?;
            started(app, actor, reason, "WeeklyIngest", &id).await
        }
        "drift" => {
            let id = format!("drift-check-ui-{stamp}");
            app.temporal
                .start_drift(&id, DailyDriftInput::default())
                .await?;
            started(app, actor, reason, "DailyDrift", &id).await
        }
        "promote" => {
            let v = app
                .registry
                .transition(&name, version(), registry::Stage::Production, actor, reason)
                .await?;
            Ok(format!(
                "{} v{} is now Production; the inference services load it on their next refresh.",
                v.name, v.version
            ))
        }
        "rollback" => {
            let v = app.registry.rollback(&name, actor, reason).await?;
            Ok(format!(
                "Rolled back: {} v{} is Production again.",
                v.name, v.version
            ))
        }
        "shadow" => {
            app.registry
                .set_alias(&name, "shadow", version(), actor)
                .await?;
            Ok(format!("{name}@shadow → v{}.", version()))
        }
        "unshadow" => {
            let removed = app.registry.remove_alias(&name, "shadow", actor).await?;
            Ok(if removed {
                format!("{name} has no shadow version any more.")
            } else {
                format!("{name} had no shadow version.")
            })
        }
        "schedule" => {
            let id = p.get("id").cloned().unwrap_or_default();
            let op = p.get("op").cloned().unwrap_or_default();
            app.temporal
                .schedule_action(&id, &op, &format!("{actor}: {reason}"))
                .await?;
            queries::audit(
                &app.store,
                actor,
                &format!("schedule_{op}"),
                "schedule",
                &id,
                serde_json::json!({ "reason": reason }),
            )
            .await?;
            Ok(format!("Schedule {id}: {op} done."))
        }
        other => anyhow::bail!("unknown action {other:?}"),
    }
}

/// Records a started workflow in the audit log; the message names it (with its Temporal UI link).
async fn started(
    app: &App,
    actor: &str,
    reason: &str,
    kind: &str,
    id: &str,
) -> anyhow::Result<String> {
    queries::audit(
        &app.store,
        actor,
        "start_workflow",
        "workflow",
        id,
        serde_json::json!({ "type": kind, "reason": reason }),
    )
    .await?;
    let link = app.config.temporal_ui.as_ref().map(|_| {
        format!(
            " (Temporal UI: {})",
            crate::pages::temporal_link(app, Some((id, "")))
        )
    });
    Ok(format!("Started {kind} {id}{}", link.unwrap_or_default()))
}
