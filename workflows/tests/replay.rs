//! Replays recorded workflow histories (made by `services/rakuten/tests/workflows.rs` with
//! `RAKUTEN_RECORD_HISTORIES=workflows/tests/histories`) against today's workflow code. A change that would
//! make a running workflow take a different path on replay — an activity added, removed or reordered, a
//! different child workflow — fails here as non-determinism, before it reaches a worker with live histories.

use std::path::PathBuf;

use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

fn histories() -> Vec<(String, WorkflowHistory)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let history = WorkflowHistory::from_json(&bytes)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                history,
            )
        })
        .collect()
}

fn replayer() -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new()
        .register_workflow::<workflows::WeeklyIngest>()
        .unwrap()
        .register_workflow::<workflows::Training>()
        .unwrap()
        .register_workflow::<workflows::DailyDrift>()
        .unwrap()
        .build();
    WorkflowReplayer::new(options).unwrap()
}

#[tokio::test]
async fn recorded_histories_replay_without_nondeterminism() {
    let histories = histories();
    let names: Vec<_> = histories.iter().map(|(n, _)| n.clone()).collect();
    for expected in [
        "daily_drift.json",
        "training.json",
        "weekly_ingest.json",
        "training_queues.json",
        "training_challengers.json",
        "weekly_ingest_retraining.json",
        "daily_drift_retraining.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let replayer = replayer();
    for (name, history) in histories {
        replayer
            .replay_workflow(history)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Replays `file`'s recorded history with `from` replaced by `to`, as code that differs that way would meet it.
async fn replay_edited(file: &str, from: &str, to: &str) -> Result<(), String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let json = std::fs::read_to_string(dir.join(file)).unwrap();
    let edited = json.replace(from, to);
    assert_ne!(edited, json, "{file} holds {from}");
    let history = WorkflowHistory::from_json(edited.as_bytes()).unwrap();
    replayer()
        .replay_workflow(history)
        .await
        .map_err(|e| format!("{e:?}"))
}

/// The replayer catches what it should: WeeklyIngest's history presented as DailyDrift's (another workflow's
/// code meeting it: different activities, in another order) is non-deterministic.
#[tokio::test]
async fn a_history_replayed_against_other_code_fails() {
    let result = replay_edited(
        "weekly_ingest.json",
        r#""workflow_type":{"name":"WeeklyIngest"}"#,
        r#""workflow_type":{"name":"DailyDrift"}"#,
    )
    .await;
    assert!(
        result.is_err(),
        "replaying WeeklyIngest's history as DailyDrift succeeded"
    );
}

/// A renamed activity is caught: WeeklyIngest's recorded `build_dataset` presented as `build_dataset_v2` (what
/// the history of a worker running renamed code would hold) does not match today's code.
#[tokio::test]
async fn a_renamed_activity_fails_replay() {
    let error = replay_edited(
        "weekly_ingest.json",
        r#""activity_type":{"name":"build_dataset"}"#,
        r#""activity_type":{"name":"build_dataset_v2"}"#,
    )
    .await
    .expect_err("replaying a history with a renamed activity succeeded");
    assert!(
        error.to_lowercase().contains("build_dataset"),
        "the error names the activity: {error}"
    );
}
