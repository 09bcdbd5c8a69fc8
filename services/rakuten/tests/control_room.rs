//! The control room in a real headless Chromium against real servers: a Temporal dev server, `rakuten worker`,
//! `rakuten serve` and `rakuten control-room` processes on a PostgreSQL store
//! (`tests/support/control_room_browser.py`, PyPI `playwright` driving Debian's `chromium`, axe-core from npm).
//!
//! The browser checks every page (no console error, no serious or critical axe violation), refuses actions
//! without a session or without the CSRF token, logs in, trains from the UI until the run is in the runs table,
//! promotes a version until the inference service serves it, shadows one, predicts from the form (top-5; a
//! `<script>` in the title shown as text), scores a CSV, runs a drift check whose report opens, and pauses a
//! schedule. Here, afterwards: what it did is what the registry, Temporal and the audit log say, under the
//! operator's name, and the refused attempts changed nothing.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use contracts::lifecycle::{IngestInput, TrainingOptions};
use futures::StreamExt;
use serde_json::Value;
use support::{Process, repo, sample_products, until};
use temporalio_client::WorkflowListOptions;

const TOKEN: &str = "correct horse battery staple";

fn axe_js() -> String {
    std::env::var("RAKUTEN_TEST_AXE_JS")
        .unwrap_or_else(|_| "/var/tmp/rakuten-npm/node_modules/axe-core/axe.min.js".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_room_in_a_real_browser() {
    assert!(
        Path::new(&axe_js()).exists(),
        "axe-core (npm install axe-core; .ci/run does) at {}",
        axe_js()
    );
    let db = common::TestDb::postgres().await;
    db.import_sample().await;
    let dir = db.dir.path().to_path_buf();
    let server = support::dev_server(&dir).await;
    let rakuten = |args: &[&str], log: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rakuten"));
        c.args(args)
            .env("RAKUTEN_DATABASE_URL", &db.url)
            .env("RAKUTEN_ARTIFACTS", dir.join("artifacts"))
            .env("RAKUTEN_ACTOR", "test")
            .env("RUST_LOG", "info,sqlx=warn,temporalio_sdk_core=warn")
            .env("RAKUTEN_TEMPORAL_ADDRESS", &server.address)
            .stderr(std::fs::File::create(dir.join(log)).unwrap());
        c
    };
    let _worker = Process(Some(
        rakuten(
            &[
                "worker",
                "--no-metrics",
                "--work-dir",
                dir.join("work").to_str().unwrap(),
            ],
            "worker.log",
        )
        .spawn()
        .unwrap(),
    ));
    let client = worker::connect(&server.address, "default").await.unwrap();
    let applied = rakuten(&["schedules", "apply"], "schedules.log")
        .status()
        .unwrap();
    assert!(applied.success());

    // A first model, in Production (by hand when the policy keeps it out on this sample).
    let first = support::run_workflow(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput {
            batch: Some("week-2026-W48".into()),
            training: TrainingOptions::default(),
            ..Default::default()
        },
        "ingest-w48",
    )
    .await
    .unwrap();
    let registry = registry::Registry::new(db.store.clone(), db.artifacts());
    let v1 = first.training.as_ref().unwrap().version;
    if !first.training.as_ref().unwrap().promoted {
        registry
            .transition(
                contracts::MODEL_NAME,
                v1,
                registry::Stage::Production,
                "test",
                "by hand",
            )
            .await
            .unwrap();
    }

    let mut serve_child = rakuten(
        &[
            "--json",
            "serve",
            "--http-port",
            "0",
            "--grpc-port",
            "0",
            "--poll",
            "1s",
        ],
        "serve.log",
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let rest = support::first_json_line(&mut serve_child)["http"]
        .as_str()
        .unwrap()
        .to_string();
    let _serve = Process(Some(serve_child));
    let mut room_child = rakuten(
        &[
            "--json",
            "control-room",
            "--port",
            "0",
            "--inference-url",
            &rest,
        ],
        "control-room.log",
    )
    .env("RAKUTEN_ADMIN_TOKEN", TOKEN)
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let room = support::first_json_line(&mut room_child)["http"]
        .as_str()
        .unwrap()
        .to_string();
    let _room = Process(Some(room_child));
    let http = reqwest::Client::new();
    until(
        "the service serves v1",
        Duration::from_secs(60),
        async || {
            let v = support::models_current(&http, &rest).await?;
            (v["version"].as_i64() == Some(v1) || v["version"].as_str() == Some(&v1.to_string()))
                .then_some(())
        },
    )
    .await;

    // A CSV of real products for the batch upload.
    let csv_file = dir.join("products.csv");
    let mut w = csv::Writer::from_path(&csv_file).unwrap();
    w.write_record(["designation", "description"]).unwrap();
    for (d, s) in sample_products(12) {
        w.write_record([d, s]).unwrap();
    }
    w.flush().unwrap();

    let out = dir.join("browser.json");
    let shots = std::env::var("RAKUTEN_CONTROL_ROOM_SCREENSHOTS").ok();
    let mut browser = Command::new("python3");
    browser
        .arg(repo().join("services/rakuten/tests/support/control_room_browser.py"))
        .args([&room, &rest, TOKEN])
        .arg(&csv_file)
        .arg(&out)
        .env("AXE_JS", axe_js());
    if let Some(s) = &shots {
        std::fs::create_dir_all(s).unwrap();
        browser.env("SCREENSHOTS", s);
    }
    let result = browser.output().unwrap();
    assert!(
        result.status.success(),
        "browser checks failed:\n{}\n{}\ncontrol room log:\n{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr),
        std::fs::read_to_string(dir.join("control-room.log")).unwrap_or_default()
    );
    let done: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();

    // The promoted version is Production in the registry, promoted by the operator.
    let promoted = done["promoted"].as_i64().unwrap();
    let production = registry
        .production(contracts::MODEL_NAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(production.version, promoted);
    let transitions = registry.transitions(contracts::MODEL_NAME).await.unwrap();
    assert!(
        transitions
            .iter()
            .any(|(v, _, to, actor, _, _)| *v == promoted
                && to == "Production"
                && actor == "ui:tester"),
        "{transitions:?}"
    );
    // Exactly one Training was started from the UI (the refused attempts started none), and it completed.
    let mut listed =
        client.list_workflows("WorkflowType = 'Training'", WorkflowListOptions::default());
    let mut ui_trainings = Vec::new();
    while let Some(w) = listed.next().await {
        let w = w.unwrap();
        if w.id().starts_with("training-ui-") {
            ui_trainings.push((w.id().to_string(), format!("{:?}", w.status())));
        }
    }
    assert_eq!(ui_trainings.len(), 1, "{ui_trainings:?}");
    assert_eq!(ui_trainings[0].0, done["started"][0].as_str().unwrap());
    assert_eq!(ui_trainings[0].1, "Completed");
    // The audit log names the operator for what the UI did.
    let audit = db.store.audit_log(500).await.unwrap();
    for action in [
        "start_workflow",
        "stage_transition",
        "set_alias",
        "schedule_pause",
    ] {
        assert!(
            audit
                .iter()
                .any(|e| e.action == action && e.actor == "ui:tester"),
            "no {action} by ui:tester in {:?}",
            audit
                .iter()
                .map(|e| (&e.action, &e.actor))
                .collect::<Vec<_>>()
        );
    }
    // The schedule is paused in Temporal itself.
    let d = client
        .get_schedule_handle(contracts::WEEKLY_INGEST_SCHEDULE_ID)
        .describe(Default::default())
        .await
        .unwrap();
    assert!(d.paused());
    assert_eq!(done["csv_rows"], 12);
}
