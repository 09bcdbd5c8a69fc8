//! The lifecycle on a real Temporal dev server (`temporal server start-dev`, started here on free ports with a
//! SQLite file of its own), a real PostgreSQL store and the real sample data:
//!
//! - the weekly pipeline ends with a dataset version and a registered, promoted model; a second run of the same
//!   week changes nothing;
//! - a week whose live F1 falls under the margin retrains with challengers: trained in parallel, the best on
//!   validation judged against the champion by a paired comparison, the others discarded;
//! - DailyDrift checks its own window against the data of the model that served it: on undrifted inferences no
//!   retraining; on drifted ones a drift batch loaded early and exactly one retraining with challengers; the
//!   same window again gives the same report, loads nothing and starts nothing;
//! - with no rows left and only weaker challengers: "not promoted: no significant improvement", no duplicate;
//! - a worker process killed in the middle of training: the workflow completes after a new worker starts, and
//!   exactly one model version is registered;
//! - the Temporal server restarted on the same database: histories and schedules survive.
//!
//! `RAKUTEN_RECORD_HISTORIES=DIR` writes the histories of the pipeline and drift runs to DIR (how
//! `workflows/tests/histories/` was made; the replay test there replays them).

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::Utc;
use contracts::lifecycle::{DailyDriftInput, DailyDriftOutput, IngestInput, TrainingOptions};
use data::inference::InferenceRecord;
use data::{LoadRequest, SourceFiles};
use lifecycle::Lifecycle;
use rakuten::devserver::{DevServer, DevServerOptions};
use temporalio_client::{
    Client, WorkflowDescribeOptions, WorkflowExecutionStatus, WorkflowGetResultOptions,
    WorkflowListOptions, WorkflowStartOptions,
};
use temporalio_common::HasWorkflowDefinition;
use worker::connect;
use worker::{WorkerConfig, WorkerThread};

/// One test's world: a dev server, a PostgreSQL schema, an artifact folder, a work folder.
struct World {
    server: DevServer,
    db: common::TestDb,
    work: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let db = common::TestDb::postgres().await;
        let server = support::dev_server(db.dir.path()).await;
        World {
            server,
            db,
            work: tempfile::tempdir().unwrap(),
        }
    }

    async fn client(&self) -> Client {
        connect(&self.server.address, "default").await.unwrap()
    }

    fn config(&self) -> WorkerConfig {
        let mut config = WorkerConfig::new(
            &self.server.address,
            "default",
            self.db.store.clone(),
            self.db.artifacts(),
            self.work.path().to_path_buf(),
            "test-worker".into(),
        );
        // The first model of a 40 % load of the sample is below the production threshold of 0.75; these tests
        // are about the workflows, so the first model is promoted at any score (challengers are still judged
        // against the champion by the paired comparison).
        config.lifecycle.policy.min_f1_weighted = 0.0;
        // Challengers train at once (a real deployment runs more training workers instead).
        config.max_concurrent_trainings = 3;
        config
    }

    /// Loads every row of the pool and builds its dataset version.
    async fn load_all(&self) -> data::DatasetVersion {
        self.db
            .store
            .load(&LoadRequest::Initial { percent: 100.0 }, "all", "test")
            .await
            .unwrap();
        self.db
            .store
            .build_dataset(&self.db.artifacts(), &Default::default())
            .await
            .unwrap()
    }

    fn lifecycle(&self) -> Lifecycle {
        self.config().lifecycle
    }

    async fn import_sample(&self) {
        self.db
            .store
            .import(
                &SourceFiles::Merged(common::sample_csv()),
                &Default::default(),
            )
            .await
            .unwrap();
    }

    async fn versions(&self) -> Vec<registry::ModelVersion> {
        self.lifecycle()
            .registry
            .versions(Some(contracts::MODEL_NAME))
            .await
            .unwrap()
    }
}

async fn run<W>(client: &Client, workflow: W, input: W::Input, id: &str) -> W::Output
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    support::run_workflow(client, workflow, input, id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Logs `rows` as inferences, then runs DailyDrift as workflow `id`.
async fn drift_after(
    world: &World,
    client: &Client,
    rows: &[InferenceRecord],
    input: &DailyDriftInput,
    id: &str,
) -> DailyDriftOutput {
    world.db.store.append_inference_log(rows).await.unwrap();
    run(client, workflows::DailyDrift::run, input.clone(), id).await
}

/// Writes a workflow's history to `$RAKUTEN_RECORD_HISTORIES/<name>.json` when that is set.
async fn record_history<W: HasWorkflowDefinition>(client: &Client, id: &str, name: &str) {
    let Some(dir) = std::env::var_os("RAKUTEN_RECORD_HISTORIES") else {
        return;
    };
    let json = support::history_json::<W>(client, id).await;
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(Path::new(&dir).join(format!("{name}.json")), json).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn weekly_pipeline_then_daily_drift() {
    let world = World::new().await;
    world.import_sample().await;
    let worker = WorkerThread::spawn(world.config()).unwrap();
    let client = world.client().await;

    // The weekly pipeline on an empty database: the initial 40 %, a dataset version, a promoted model.
    // The workflows are under test here, not the model: the quicker baseline model type keeps this test short.
    let quick = TrainingOptions {
        model_type: Some("tfidf_logreg".into()),
        ..Default::default()
    };
    let input = IngestInput {
        batch: Some("week-2026-W48".into()),
        training: quick.clone(),
        ..Default::default()
    };
    let first = run(
        &client,
        workflows::WeeklyIngest::run,
        input.clone(),
        "ingest-w48",
    )
    .await;
    assert_eq!(first.load.status, "loaded");
    assert_eq!(first.load.kind, "initial");
    assert!((first.load.percent_loaded - 40.0).abs() < 0.5, "{first:?}");
    let dataset = first.dataset.clone().expect("a dataset version");
    assert!(dataset.created && dataset.train_rows > 0);
    let training = first.training.clone().expect("a training");
    assert!(training.created && training.promoted, "{training:?}");
    assert_eq!(training.production_version, Some(training.version));
    let registry = world.lifecycle().registry;
    let production = registry
        .production(contracts::MODEL_NAME)
        .await
        .unwrap()
        .expect("a Production version");
    assert_eq!(production.version, training.version);
    assert_eq!(
        production.dataset_version.as_deref(),
        Some(dataset.dataset_id.as_str())
    );
    assert!(production.f1_weighted().unwrap() > 0.3);
    let batches = world.db.store.load_batches().await.unwrap();
    assert_eq!(batches.len(), 1);
    record_history::<workflows::WeeklyIngest>(&client, "ingest-w48", "weekly_ingest").await;
    record_history::<workflows::Training>(
        &client,
        &format!("training-{}", dataset.dataset_id),
        "training",
    )
    .await;

    // The same week again (a new run of the workflow id): nothing changes.
    let second = run(
        &client,
        workflows::WeeklyIngest::run,
        input.clone(),
        "ingest-w48",
    )
    .await;
    assert_eq!(second.load.status, "already_applied");
    assert_eq!(second.load.rows, 0);
    let again = second.dataset.clone().unwrap();
    assert_eq!(again.dataset_id, dataset.dataset_id);
    assert!(!again.created);
    let retrained = second.training.clone().unwrap();
    assert_eq!(retrained.version, training.version);
    assert!(!retrained.created);
    assert_eq!(world.versions().await.len(), 1);
    assert_eq!(world.db.store.load_batches().await.unwrap().len(), 1);
    assert_eq!(world.db.store.dataset_versions().await.unwrap().len(), 1);
    // No live score either time: first there was no model, then the model had trained on the batch.
    assert!(first.live.is_none() && second.live.is_none(), "{second:?}");

    // The next week, with a margin any live score falls under: the Production model is scored on the new batch
    // before anything trains on it, and the week retrains with challengers (trained in parallel).
    let next = run(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput {
            batch: Some("week-2026-W49".into()),
            live_f1_margin: Some(-1.0),
            ..input.clone()
        },
        "ingest-w49",
    )
    .await;
    let live = next.live.clone().expect("a live score of the new batch");
    assert_eq!(live.version, training.version);
    assert_eq!(live.rows, next.load.rows);
    assert!(live.f1_weighted > 0.3, "{live:?}");
    assert_eq!(live.holdout_f1, production.f1_weighted());
    let stored = world.db.store.live_scores(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].batch, "week-2026-W49");
    let why = next.retrain_trigger.clone().expect("a live-F1 retraining");
    assert!(why.contains("below its holdout F1"), "{why}");
    let week2 = next.training.clone().unwrap();
    let week2_id = format!("training-{}", week2.dataset_id);
    challengers_judged(&world, &client, &week2, &week2_id, 3).await;
    assert_eq!(world.versions().await.len(), 2, "one version per training");
    let described = client
        .get_workflow_handle::<workflows::Training>(&week2_id)
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    assert_eq!(
        described
            .search_attributes()
            .get(&workflows::search::TRIGGER)
            .as_deref(),
        Some("live-f1")
    );
    record_history::<workflows::WeeklyIngest>(&client, "ingest-w49", "weekly_ingest_retraining")
        .await;
    record_history::<workflows::Training>(&client, &week2_id, "training_challengers").await;

    let drifting = DailyDriftInput {
        training: quick,
        first_window_hours: Some(1),
        ..Default::default()
    };
    // The predictions as the service logs them: by the Production version, so the drift check compares them
    // with the data that version was trained on.
    let production = registry
        .production(contracts::MODEL_NAME)
        .await
        .unwrap()
        .unwrap();
    let served = production.version.to_string();
    let served = (contracts::MODEL_NAME, served.as_str());
    let base = Utc::now();
    let window_end = |t: chrono::DateTime<Utc>| Some(t.timestamp_millis());
    // DailyDrift on inferences drawn from the training rows (an hour-long window of the past): a report, no
    // retraining.
    let mut training_rows = world.db.store.training_texts().await.unwrap();
    use rand::seq::SliceRandom;
    training_rows.shuffle(&mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7));
    let calm: Vec<_> = training_rows
        .iter()
        .take(500)
        .enumerate()
        .map(|(i, (d, s, c))| {
            InferenceRecord::new(
                format!("calm-{i}"),
                base - chrono::Duration::minutes(90),
                served,
                d,
                s,
                None,
                *c,
                0.9,
                1.0,
            )
        })
        .collect();
    let quiet_input = DailyDriftInput {
        window_end_ms: window_end(base - chrono::Duration::minutes(60)),
        ..drifting.clone()
    };
    let quiet = drift_after(&world, &client, &calm, &quiet_input, "drift-1").await;
    assert_eq!(quiet.check.current_rows, 500);
    assert!(!quiet.check.retrain, "{quiet:?}");
    assert!(quiet.retraining_workflow_id.is_none() && quiet.batch.is_none());
    assert_eq!(world.versions().await.len(), 2);
    let report = drift_report_json(&world, &quiet.check.report_id).await;
    let source = report["reference"]["source"].as_str().unwrap().to_string();
    assert!(
        source.contains(production.dataset_version.as_deref().unwrap())
            && source.contains(&format!("v{}", production.version)),
        "the reference is the served version's dataset: {source}"
    );

    // Then a flood of one kind of product in the next hour: drift; a drift batch loaded early and scored; one
    // retraining, named by the day, with challengers.
    let flood = |from: usize, at: chrono::DateTime<Utc>| -> Vec<InferenceRecord> {
        (from..from + 700)
            .map(|i| {
                InferenceRecord::new(
                    format!("flood-{i}"),
                    at,
                    served,
                    &format!("Piscine tubulaire ronde {i} cm bleu"),
                    &"<p>Filtre à cartouche, bâche, échelle.</p> ".repeat(8),
                    None,
                    2583,
                    0.99,
                    1.0,
                )
            })
            .collect()
    };
    let stormy_input = DailyDriftInput {
        window_end_ms: window_end(base),
        ..drifting.clone()
    };
    let at = base - chrono::Duration::minutes(30);
    let stormy = drift_after(&world, &client, &flood(0, at), &stormy_input, "drift-2").await;
    assert!(stormy.check.retrain, "{stormy:?}");
    assert_eq!(
        stormy.check.current_rows, 700,
        "only the inferences of the window"
    );
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let retraining_id = stormy.retraining_workflow_id.clone().expect("a retraining");
    assert_eq!(
        retraining_id,
        contracts::drift_retraining_workflow_id(&today)
    );
    let batch = stormy.batch.clone().expect("a drift batch");
    assert_eq!(
        (batch.batch.as_str(), batch.status.as_str()),
        (contracts::drift_batch_name(&today).as_str(), "loaded")
    );
    assert!(batch.rows > 0);
    let batches = world.db.store.load_batches().await.unwrap();
    assert!(
        batches.iter().any(|b| b.name == batch.batch),
        "the drift batch is in the audit trail: {batches:?}"
    );
    let drift_live = stormy.live.clone().expect("the drift batch scored first");
    assert_eq!(drift_live.batch, batch.batch);
    let retraining = stormy.retraining.clone().unwrap();
    assert!(
        retraining.created,
        "a retraining is a new run: {retraining:?}"
    );
    assert_ne!(
        retraining.dataset_id, week2.dataset_id,
        "trained on the data with the drift batch"
    );
    challengers_judged(&world, &client, &retraining, &retraining_id, 3).await;
    assert_eq!(world.versions().await.len(), 3);
    // New draws: each challenger's seed comes from its key, none is the weekly run's.
    let registry = world.lifecycle().registry;
    let seed = |run: &registry::runs::Run| run.params["seed"].as_u64();
    let weekly_run = registry.run(&training.run_id).await.unwrap();
    let mut seeds = Vec::new();
    for c in &retraining.challengers {
        let run = registry.run(&c.run_id).await.unwrap();
        seeds.push(seed(&run));
    }
    let key = format!("drift-{today}");
    assert_eq!(seeds[0], Some(lifecycle::pipeline::seed_of_run_key(&key)));
    let mut unique = seeds.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "{seeds:?}");
    assert!(!seeds.contains(&seed(&weekly_run)));
    let drift_run = registry.run(&retraining.run_id).await.unwrap();
    assert!(
        drift_run.steps.contains_key("temperature"),
        "the calibration is in the registry: {:?}",
        drift_run.steps.keys()
    );
    record_history::<workflows::DailyDrift>(&client, "drift-2", "daily_drift_retraining").await;

    // The same window again (a retried or repeated run): the same report, byte for byte, recorded once; the
    // drift batch is not loaded twice; the day's retraining exists, so none starts.
    let reports = world.db.store.drift_reports(100).await.unwrap().len();
    let first_record = world
        .db
        .store
        .drift_report(&stormy.check.report_id)
        .await
        .unwrap()
        .unwrap();
    let later = drift_after(
        &world,
        &client,
        &flood(10_000, at),
        &stormy_input,
        "drift-3",
    )
    .await;
    assert_eq!(later.check.report_id, stormy.check.report_id);
    assert_eq!(later.check.current_rows, 700, "the recorded report");
    let again_record = world
        .db
        .store
        .drift_report(&stormy.check.report_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again_record.json_sha256, first_record.json_sha256);
    assert_eq!(
        world.db.store.drift_reports(100).await.unwrap().len(),
        reports
    );
    assert!(later.check.retrain);
    assert_eq!(later.batch.as_ref().unwrap().status, "already_applied");
    assert_eq!(
        world.db.store.load_batches().await.unwrap().len(),
        batches.len()
    );
    assert!(later.retraining_workflow_id.is_none());
    assert!(
        later.note.as_deref().unwrap_or("").contains(&retraining_id),
        "{later:?}"
    );
    assert_eq!(world.versions().await.len(), 3);

    // The Temporal UI's filters: the custom search attributes the workflows set as they learned them.
    let promoted = list_when(&client, r#"Decision = "promoted""#, |ids| {
        ids.iter().any(|i| i == "ingest-w48")
    })
    .await;
    let weekly_training = format!("training-{}", dataset.dataset_id);
    assert!(
        promoted.contains(&weekly_training),
        "the weekly Training run is listed as promoted: {promoted:?}"
    );
    let by_drift = list_when(&client, r#"`Trigger` = "drift""#, |ids| !ids.is_empty()).await;
    assert_eq!(by_drift, vec![retraining_id.clone()]);
    let of_version = list_when(
        &client,
        &format!(
            "ModelVersion = {} AND WorkflowType = 'Training'",
            training.version
        ),
        |ids| !ids.is_empty(),
    )
    .await;
    assert_eq!(of_version, vec![weekly_training.clone()]);
    let described = client
        .get_workflow_handle::<workflows::WeeklyIngest>("ingest-w49")
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    let attributes = described.search_attributes();
    assert_eq!(
        attributes.get(&workflows::search::TRIGGER).as_deref(),
        Some("manual")
    );
    assert_eq!(
        attributes.get(&workflows::search::DATASET_VERSION),
        next.dataset.as_ref().map(|d| d.dataset_id.clone())
    );
    let summary: Option<String> = described.memo().get("summary").unwrap();
    let summary = summary.expect("a summary in the memo");
    assert!(
        summary.starts_with("week-2026-W49 loaded") && summary.contains("live F1"),
        "{summary}"
    );

    worker.stop().unwrap();
    world.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retraining_without_new_rows_or_a_better_challenger_promotes_nothing() {
    let world = World::new().await;
    world.import_sample().await;
    let worker = WorkerThread::spawn(world.config()).unwrap();
    let client = world.client().await;
    // Everything loaded at once, and the default model type's champion.
    let all = run(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput {
            batch: Some("all".into()),
            initial_percent: Some(100.0),
            ..Default::default()
        },
        "ingest-all",
    )
    .await;
    let champion = all.training.expect("a champion");
    assert!(champion.promoted, "{champion:?}");

    // Drift; the pool has no rows left, and the challengers are of the weaker baseline type.
    let served = champion.version.to_string();
    let flood: Vec<_> = (0..300)
        .map(|i| {
            InferenceRecord::new(
                format!("flood-{i}"),
                Utc::now() - chrono::Duration::minutes(10),
                (contracts::MODEL_NAME, served.as_str()),
                &format!("Piscine tubulaire ronde {i} cm bleu"),
                &"<p>Filtre à cartouche, bâche, échelle.</p> ".repeat(8),
                None,
                2583,
                0.99,
                1.0,
            )
        })
        .collect();
    let input = DailyDriftInput {
        first_window_hours: Some(1),
        training: TrainingOptions {
            model_type: Some("tfidf_logreg".into()),
            challengers: Some(2),
            ..Default::default()
        },
        ..Default::default()
    };
    let out = drift_after(&world, &client, &flood, &input, "drift-exhausted").await;
    assert!(out.check.retrain, "{out:?}");
    assert_eq!(out.batch.as_ref().unwrap().status, "pool_exhausted");
    assert!(out.live.is_none(), "no batch, no live score");
    let retraining = out.retraining.clone().expect("a retraining");
    assert_eq!(
        retraining.dataset_id, champion.dataset_id,
        "no new rows: the same dataset"
    );
    assert!(!retraining.promoted);
    assert!(
        retraining.decision.starts_with(&format!(
            "not promoted: no significant improvement over champion v{}",
            champion.version
        )),
        "{}",
        retraining.decision
    );
    assert_eq!(retraining.production_version, Some(champion.version));
    let id = out.retraining_workflow_id.clone().unwrap();
    challengers_judged(&world, &client, &retraining, &id, 2).await;
    // The registry says so too, and holds no two versions of the same artifact.
    let versions = world.versions().await;
    assert_eq!(versions.len(), 2);
    assert_ne!(versions[0].artifact_sha256, versions[1].artifact_sha256);
    let decided = world
        .lifecycle()
        .registry
        .last_decision(contracts::MODEL_NAME, retraining.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.reason, retraining.decision);
    println!("{}", retraining.decision);
    worker.stop().unwrap();
    world.db.cleanup().await;
}

/// The drift report `id` as stored in the artifact store.
async fn drift_report_json(world: &World, id: &str) -> serde_json::Value {
    let record = world
        .db
        .store
        .drift_report(id)
        .await
        .unwrap()
        .expect("a report");
    let bytes = world
        .db
        .artifacts()
        .get_verified(&record.json_key, &record.json_sha256)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A training with `n` challengers: trained at once (every one started before the first finished), the best on
/// validation chosen, the others discarded in the registry, the chosen one judged against the champion by the
/// paired comparison, its interval in the result and in the decision.
async fn challengers_judged(
    world: &World,
    client: &Client,
    out: &contracts::lifecycle::TrainingOutput,
    workflow_id: &str,
    n: usize,
) {
    println!("{workflow_id}: v{} {}", out.version, out.decision);
    for c in &out.challengers {
        println!(
            "  {} {:?} {:?} {:?}",
            c.run_id, c.validation_f1, c.selected, c.note
        );
    }
    assert_eq!(out.challengers.len(), n, "{out:?}");
    let chosen: Vec<_> = out.challengers.iter().filter(|c| c.selected).collect();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].run_id, out.run_id);
    let best = out
        .challengers
        .iter()
        .map(|c| c.validation_f1.expect("a validation score"))
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(chosen[0].validation_f1, Some(best));
    let registry = world.lifecycle().registry;
    for c in out.challengers.iter().filter(|c| !c.selected) {
        let run = registry.run(&c.run_id).await.unwrap();
        assert_eq!(run.status, "discarded", "{c:?}");
        assert!(
            c.note.as_deref().unwrap_or("").starts_with("not chosen"),
            "{c:?}"
        );
    }
    let (low, high) = out.interval.expect("a paired comparison with the champion");
    let delta = out.delta_f1.unwrap();
    assert!(low <= delta && delta <= high, "{out:?}");
    assert_eq!(out.promoted, low > 0.0, "{}", out.decision);
    assert!(out.decision.contains("95 % CI"), "{}", out.decision);
    let decision = registry
        .last_decision(contracts::MODEL_NAME, out.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        decision.paired.map(|p| (p.ci_low, p.ci_high)),
        Some((low, high))
    );
    // In parallel: every train_model started before the first one completed.
    let json = support::history_json::<workflows::Training>(client, workflow_id).await;
    let history: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let events = history["events"].as_array().unwrap();
    let trainings: Vec<i64> = events
        .iter()
        .filter(|e| {
            e["attributes"]["ActivityTaskScheduledEventAttributes"]["activity_type"]["name"]
                == contracts::lifecycle::activity::TRAIN_MODEL
        })
        .map(|e| e["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(trainings.len(), n);
    // Started events are written with the completion, but carry the time the activity started.
    let times = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| {
                e["attributes"][kind]["scheduled_event_id"]
                    .as_i64()
                    .is_some_and(|id| trainings.contains(&id))
            })
            .map(|e| e["event_time"].as_str().unwrap().to_string())
            .collect()
    };
    let (started, completed) = (
        times("ActivityTaskStartedEventAttributes"),
        times("ActivityTaskCompletedEventAttributes"),
    );
    assert_eq!(started.len(), n);
    assert!(
        started.iter().max() < completed.iter().min(),
        "started at {started:?}, completed at {completed:?}"
    );
}

/// The ids of the workflows `query` lists, once `done` holds for them (visibility is eventually consistent).
async fn list_when(client: &Client, query: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    use futures::TryStreamExt;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let runs: Vec<_> = client
            .list_workflows(query, WorkflowListOptions::default())
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{query}: {e:?}"));
        let mut ids: Vec<String> = runs.iter().map(|w| w.id().to_string()).collect();
        ids.sort();
        ids.dedup();
        if done(&ids) {
            return ids;
        }
        assert!(Instant::now() < deadline, "{query}: only {ids:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A `rakuten worker` process on the world's store and server.
fn worker_process(world: &World, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rakuten"))
        .args(["worker", "--temporal-address", &world.server.address])
        .args(["--metrics-port", "0"])
        .arg("--work-dir")
        .arg(world.work.path())
        .env("RAKUTEN_DATABASE_URL", &world.db.url)
        .env("RAKUTEN_ARTIFACTS", world.db.dir.path().join("artifacts"))
        .env("RAKUTEN_ACTOR", "test")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_killed_mid_training_resumes_and_registers_once() {
    let world = World::new().await;
    world.import_sample().await;
    let dataset = world.load_all().await;
    let client = world.client().await;
    let logs = world.db.dir.path();
    let mut first = worker_process(&world, &logs.join("worker-1.log"));

    let handle = client
        .start_workflow(
            workflows::Training::run,
            support::training_input(dataset.id(), None, 3),
            WorkflowStartOptions::new(contracts::TASK_QUEUE, "training-crash").build(),
        )
        .await
        .unwrap();
    // Kill the worker once training has checkpointed its first epoch (and so is mid-way).
    let state: PathBuf = world
        .work
        .path()
        .join("checkpoints")
        .join(lifecycle::pipeline::run_id(
            dataset.id(),
            model::ModelType::DEFAULT,
            None,
        ))
        .join("state.json");
    wait_for("the first checkpoint", Duration::from_secs(300), || {
        state.exists()
    });
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        world.versions().await.is_empty(),
        "killed before registering"
    );

    let mut second = worker_process(&world, &logs.join("worker-2.log"));
    let out = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e:?}; see {}", logs.display()));
    assert!(
        out.resumed_at_epoch.is_some_and(|e| e >= 1),
        "the second attempt resumed from the checkpoint: {out:?}"
    );
    let versions = world.versions().await;
    assert_eq!(versions.len(), 1, "exactly one version registered");
    assert_eq!(versions[0].version, out.version);
    let run = world.lifecycle().registry.run(&out.run_id).await.unwrap();
    assert_eq!(run.status, "finished");

    // SIGTERM: the worker shuts down gracefully and exits 0.
    let pid = second.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "worker exit status {status}");
    world.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_training_stops_the_training_thread() {
    let world = World::new().await;
    support::import_generated(&world.db.store, &world.db.dir.path().join("seed"), 30_000).await;
    let dataset = world.load_all().await;
    let worker = WorkerThread::spawn(world.config()).unwrap();
    let client = world.client().await;
    let handle = client
        .start_workflow(
            workflows::Training::run,
            support::training_input(dataset.id(), Some("to-cancel"), 10),
            WorkflowStartOptions::new(contracts::TASK_QUEUE, "training-cancelled").build(),
        )
        .await
        .unwrap();
    let run_id =
        lifecycle::pipeline::run_id(dataset.id(), model::ModelType::DEFAULT, Some("to-cancel"));
    let registry = world.lifecycle().registry;
    // Mid-way: the first epoch is checkpointed, training goes on.
    let state = world
        .work
        .path()
        .join("checkpoints")
        .join(&run_id)
        .join("state.json");
    wait_for("the first checkpoint", Duration::from_secs(300), || {
        state.exists()
    });
    handle
        .cancel(
            temporalio_client::WorkflowCancelOptions::builder()
                .reason("test")
                .build(),
        )
        .await
        .unwrap();
    let cancelled_at = Instant::now();
    // The training thread itself stops: the run is recorded as cancelled (which only the thread's return
    // does), well before training could have finished.
    let status = loop {
        let status = registry.run(&run_id).await.unwrap().status;
        if status != "running" || cancelled_at.elapsed() > Duration::from_secs(60) {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, "cancelled", "run {run_id}");
    println!(
        "training thread stopped {:?} after the cancellation",
        cancelled_at.elapsed()
    );
    let result = handle.get_result(WorkflowGetResultOptions::default()).await;
    assert!(
        result.is_err(),
        "a cancelled workflow has no result: {result:?}"
    );
    let described = handle
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    assert_eq!(described.status(), WorkflowExecutionStatus::Canceled);
    assert!(world.versions().await.is_empty(), "nothing registered");
    worker.stop().unwrap();
    world.db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_restart_keeps_histories_and_schedules() {
    let world = World::new().await;
    world.import_sample().await;
    // Everything loaded: WeeklyIngest stops cleanly at 100 % (no dataset, no training).
    world
        .db
        .store
        .load(&LoadRequest::Initial { percent: 100.0 }, "all", "test")
        .await
        .unwrap();
    let worker = WorkerThread::spawn(world.config()).unwrap();
    let client = world.client().await;
    let applied = rakuten::commands::workflow_cmd::apply_schedules(&client)
        .await
        .unwrap();
    assert_eq!(
        applied
            .iter()
            .map(|s| s.action.as_str())
            .collect::<Vec<_>>(),
        ["created", "created"]
    );
    let again = rakuten::commands::workflow_cmd::apply_schedules(&client)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(),
        ["updated", "updated"]
    );
    let out = run(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput::default(),
        "ingest-full",
    )
    .await;
    assert_eq!(out.load.status, "pool_exhausted");
    assert!(out.stopped.is_some() && out.dataset.is_none() && out.training.is_none());
    let before = client
        .get_workflow_handle::<workflows::WeeklyIngest>("ingest-full")
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    worker.stop().unwrap();

    // Restart the server on the same database file and port.
    let address = world.server.address.clone();
    let db_file = world.server.db_file.clone();
    let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
    let World {
        mut server,
        db,
        work,
    } = world;
    server.stop();
    drop(server);
    let server = DevServer::start(&DevServerOptions {
        db_file,
        port,
        ui_port: None,
        log_file: Some(db.dir.path().join("temporal-2.log")),
        temporal_cli: None,
    })
    .await
    .unwrap();
    let client = connect(&server.address, "default").await.unwrap();
    let after = client
        .get_workflow_handle::<workflows::WeeklyIngest>("ingest-full")
        .describe(WorkflowDescribeOptions::default())
        .await
        .unwrap();
    assert_eq!(after.status(), WorkflowExecutionStatus::Completed);
    assert_eq!(after.history_length(), before.history_length());
    assert_eq!(after.run_id(), before.run_id());
    for id in [
        contracts::WEEKLY_INGEST_SCHEDULE_ID,
        contracts::DAILY_DRIFT_SCHEDULE_ID,
    ] {
        let schedule = client
            .get_schedule_handle(id)
            .describe(Default::default())
            .await
            .unwrap_or_else(|e| panic!("schedule {id} lost: {e}"));
        assert!(!schedule.paused());
        assert!(!schedule.future_action_times().is_empty());
    }
    drop(work);
    db.cleanup().await;
}
