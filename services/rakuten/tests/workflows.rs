//! The lifecycle on a real Temporal dev server (`temporal server start-dev`, started here on free ports with a
//! SQLite file of its own), a real PostgreSQL store and the real sample data:
//!
//! - the weekly pipeline ends with a dataset version and a registered, promoted model; a second run of the same
//!   week changes nothing;
//! - DailyDrift on undrifted inferences starts no retraining, on drifted ones exactly one (a second drifted
//!   check the same day starts none);
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
        // are about the workflows, so the first model is promoted at any score (challengers still need the
        // champion's score plus the margin).
        config.lifecycle.policy.min_f1_weighted = 0.0;
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
        heartbeat_timeout_secs: None,
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

    // The next week: the Production model is scored on the new batch before anything trains on it.
    let next = run(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput {
            batch: Some("week-2026-W49".into()),
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
    assert_eq!(world.versions().await.len(), 2);

    let drifting = DailyDriftInput {
        training: quick,
        ..Default::default()
    };
    // DailyDrift on inferences drawn from the training rows: a report, no retraining.
    let now = Utc::now();
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
                now - chrono::Duration::minutes(30),
                ("m", "1"),
                d,
                s,
                None,
                *c,
                0.9,
                1.0,
            )
        })
        .collect();
    let quiet = drift_after(&world, &client, &calm, &drifting, "drift-1").await;
    assert_eq!(quiet.check.current_rows, 500);
    assert!(!quiet.check.retrain, "{quiet:?}");
    assert!(quiet.retraining_workflow_id.is_none());
    assert_eq!(world.versions().await.len(), 2);

    // Then a flood of one kind of product: drift, and exactly one retraining, named by the day.
    let flood = |from: usize| -> Vec<InferenceRecord> {
        (from..from + 700)
            .map(|i| {
                InferenceRecord::new(
                    format!("flood-{i}"),
                    Utc::now(),
                    ("m", "1"),
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
    let stormy = drift_after(&world, &client, &flood(0), &drifting, "drift-2").await;
    assert!(stormy.check.retrain, "{stormy:?}");
    assert_eq!(
        stormy.check.current_rows, 700,
        "only the inferences since the last check"
    );
    let retraining_id = stormy.retraining_workflow_id.clone().expect("a retraining");
    assert_eq!(
        retraining_id,
        contracts::drift_retraining_workflow_id(&Utc::now().format("%Y-%m-%d").to_string())
    );
    let retraining = stormy.retraining.clone().unwrap();
    assert!(
        retraining.created,
        "a retraining is a new run: {retraining:?}"
    );
    assert_eq!(world.versions().await.len(), 3);
    // And a new draw: its seed comes from its key, not the weekly run's.
    let registry = world.lifecycle().registry;
    let weekly_run = registry.run(&training.run_id).await.unwrap();
    let drift_run = registry.run(&retraining.run_id).await.unwrap();
    assert!(
        drift_run.steps.contains_key("temperature"),
        "the calibration is in the registry: {:?}",
        drift_run.steps.keys()
    );
    let key = format!("drift-{}", Utc::now().format("%Y-%m-%d"));
    let seed = |run: &registry::runs::Run| run.params["seed"].as_u64();
    assert_eq!(
        seed(&drift_run),
        Some(lifecycle::pipeline::seed_of_run_key(&key))
    );
    assert_ne!(seed(&weekly_run), seed(&drift_run));
    record_history::<workflows::DailyDrift>(&client, "drift-2", "daily_drift").await;

    // Drift again the same day: due, but the day's retraining exists; none starts.
    let later = drift_after(&world, &client, &flood(10_000), &drifting, "drift-3").await;
    assert!(later.check.retrain);
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
