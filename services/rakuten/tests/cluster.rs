//! A cluster's behaviour, on this machine: real processes on loopback sharing one PostgreSQL, one S3
//! (SeaweedFS, started by `.ci/run`) and one Temporal dev server:
//!
//! - `rakuten worker --task-queues rakuten-mlops` and `rakuten worker --task-queues rakuten-training`, each with
//!   a work folder of its own: the weekly pipeline runs with every activity on the worker its queue names
//!   (read back from the workflow histories: the task queue each activity was scheduled on and the identity of
//!   the worker that ran it);
//! - two `rakuten serve` replicas behind a client-side balancer that routes only to replicas whose `/readyz`
//!   answers 200 (what a load balancer or a Kubernetes Service does): a promotion reaches both (both serve the
//!   new version within the notification bound) and the load sees no failure through the swap nor through a
//!   SIGTERM of one replica (it stops being ready at once, drains, exits 0);
//! - the training worker SIGKILLed after its first checkpoint: another training worker, on a fresh work
//!   folder, resumes from the checkpoint in S3 (epoch ≥ 1) and exactly one version is registered.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use contracts::lifecycle::IngestInput;
use data::ArtifactStore;
use object_store::aws::AmazonS3Builder;
use rakuten::devserver::DevServer;
use registry::{Registry, Stage};
use serde_json::Value;
use support::{Process, sample_products, until};
use temporalio_client::{Client, WorkflowGetResultOptions, WorkflowStartOptions};
use temporalio_common::HasWorkflowDefinition;

const S3_ACCESS_KEY: &str = "rakuten";
const S3_SECRET_KEY: &str = "rakuten-local-only";

fn s3_endpoint() -> String {
    std::env::var("RAKUTEN_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8333".into())
}

/// The cluster's shared parts: PostgreSQL (a schema of its own), S3 (a prefix of its own), Temporal.
struct Cluster {
    db: common::TestDb,
    server: DevServer,
    /// `s3://rakuten/<prefix>`, as the processes are told.
    artifacts_url: String,
    artifacts: ArtifactStore,
}

impl Cluster {
    async fn start() -> Cluster {
        let db = common::TestDb::postgres().await;
        let prefix = format!("cluster-{}", uuid::Uuid::new_v4().simple());
        let artifacts_url = format!("s3://rakuten/{prefix}");
        let artifacts = ArtifactStore::open_s3(
            &artifacts_url,
            AmazonS3Builder::new()
                .with_endpoint(s3_endpoint())
                .with_region("us-east-1")
                .with_access_key_id(S3_ACCESS_KEY)
                .with_secret_access_key(S3_SECRET_KEY),
        )
        .unwrap();
        artifacts.put("probe", b"ok".to_vec()).await.unwrap_or_else(|e| {
            panic!("S3 at RAKUTEN_TEST_S3_ENDPOINT is not reachable ({e}); start it: see deploy/seaweedfs/README.md")
        });
        let server = support::dev_server(db.dir.path()).await;
        Cluster {
            db,
            server,
            artifacts_url,
            artifacts,
        }
    }

    fn dir(&self) -> &Path {
        self.db.dir.path()
    }

    /// The last lines of every process's log (what a failing assertion shows).
    fn logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self.dir()).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                out.push_str(&format!("--- {}\n", path.display()));
                for line in &lines[lines.len().saturating_sub(15)..] {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Waits until `replica` serves `version` (ready, `/models/current`); the logs when it does not in time.
    async fn wait_serving(
        &self,
        http: &reqwest::Client,
        replica: &str,
        version: i64,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        let want = version.to_string();
        while served_version(http, replica).await.as_deref() != Some(want.as_str()) {
            assert!(
                Instant::now() < deadline,
                "{replica} does not serve v{version} after {within:?}:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn registry(&self) -> Registry {
        Registry::new(self.db.store.clone(), self.artifacts.clone())
    }

    /// `rakuten ARGS` on the cluster's database, S3 and Temporal, logging to `log` under the test's folder.
    fn rakuten(&self, args: &[&str], log: &str) -> Command {
        let log = std::fs::File::create(self.dir().join(log)).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_rakuten"));
        c.args(args)
            .env("RAKUTEN_DATABASE_URL", &self.db.url)
            .env("RAKUTEN_ARTIFACTS", &self.artifacts_url)
            .env("RAKUTEN_TEMPORAL_ADDRESS", &self.server.address)
            .env("AWS_ENDPOINT", s3_endpoint())
            .env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .env("RAKUTEN_ACTOR", "cluster-test")
            .env(
                "RUST_LOG",
                "info,sqlx=warn,h2=warn,tower=warn,hyper=warn,temporalio_sdk_core=warn",
            )
            .stderr(log);
        c
    }

    /// A worker polling `queue` with a work folder of its own.
    fn worker(&self, queue: &str, name: &str) -> Process {
        let work = self.dir().join(format!("work-{name}"));
        Process(Some(
            self.rakuten(
                &[
                    "worker",
                    "--task-queues",
                    queue,
                    "--metrics-port",
                    "0",
                    "--work-dir",
                    work.to_str().unwrap(),
                ],
                &format!("{name}.log"),
            )
            .spawn()
            .unwrap(),
        ))
    }

    /// A `rakuten serve` replica on free ports; its REST address.
    fn replica(&self, name: &str) -> (Process, String) {
        let mut child = self
            .rakuten(
                &[
                    "--json",
                    "serve",
                    "--http-port",
                    "0",
                    "--grpc-port",
                    "0",
                    "--drain-delay",
                    "1s",
                    "--drain-timeout",
                    "10s",
                    "--log-journal-dir",
                    self.dir().join(format!("journal-{name}")).to_str().unwrap(),
                ],
                &format!("{name}.log"),
            )
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let addresses = support::first_json_line(&mut child);
        (
            Process(Some(child)),
            addresses["http"].as_str().unwrap().to_string(),
        )
    }
}

/// Which worker ran each activity of a workflow: `(activity type, task queue, worker identity)` in order.
async fn activities_of<W: HasWorkflowDefinition>(
    client: &Client,
    id: &str,
) -> Vec<(String, String, String)> {
    let json = support::history_json::<W>(client, id).await;
    let history: Value = serde_json::from_slice(&json).unwrap();
    let mut scheduled = BTreeMap::new();
    let mut ran = Vec::new();
    for event in history["events"].as_array().unwrap() {
        let attributes = &event["attributes"];
        if let Some(a) = attributes.get("ActivityTaskScheduledEventAttributes") {
            scheduled.insert(
                event["event_id"].as_i64().unwrap(),
                (
                    a["activity_type"]["name"].as_str().unwrap().to_string(),
                    a["task_queue"]["name"].as_str().unwrap().to_string(),
                ),
            );
        }
        if let Some(a) = attributes.get("ActivityTaskStartedEventAttributes") {
            let (kind, queue) = scheduled[&a["scheduled_event_id"].as_i64().unwrap()].clone();
            ran.push((kind, queue, a["identity"].as_str().unwrap().to_string()));
        }
    }
    ran
}

fn identity(worker: &Process) -> String {
    format!("rakuten@{}", worker.id())
}

/// The version a replica serves, when it is ready.
async fn served_version(http: &reqwest::Client, replica: &str) -> Option<String> {
    let ready = http.get(format!("{replica}/readyz")).send().await.ok()?;
    if !ready.status().is_success() {
        return None;
    }
    let current = support::models_current(http, replica).await?;
    current["version"].as_str().map(str::to_string)
}

/// Load over the replicas that are ready, as a load balancer routes it: a prober marks each replica ready or
/// not from its `/readyz` every 50 ms; each client sends varied real products, one at a time, to the next
/// ready replica. Every answer that is not a 200 with a prediction is a failure.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Vec<Arc<AtomicU64>>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(replicas: &[String], clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let ready: Arc<Vec<AtomicBool>> =
            Arc::new(replicas.iter().map(|_| AtomicBool::new(true)).collect());
        let ok: Vec<Arc<AtomicU64>> = replicas.iter().map(|_| Arc::default()).collect();
        let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
        let products = Arc::new(sample_products(500));
        let http = reqwest::Client::new();
        let mut tasks = Vec::new();
        {
            let (stop, ready, http, replicas) =
                (stop.clone(), ready.clone(), http.clone(), replicas.to_vec());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    for (i, r) in replicas.iter().enumerate() {
                        let up = matches!(
                            http.get(format!("{r}/readyz")).timeout(Duration::from_millis(500)).send().await,
                            Ok(resp) if resp.status().is_success()
                        );
                        ready[i].store(up, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }));
        }
        for c in 0..clients {
            let (stop, ready, ok, failures, products, http, replicas) = (
                stop.clone(),
                ready.clone(),
                ok.clone(),
                failures.clone(),
                products.clone(),
                http.clone(),
                replicas.to_vec(),
            );
            tasks.push(tokio::spawn(async move {
                let mut n = c;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let Some(i) = (0..replicas.len())
                        .map(|k| (n + k) % replicas.len())
                        .find(|&i| ready[i].load(Ordering::Relaxed))
                    else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let (designation, description) = &products[n % products.len()];
                    let answer = http
                        .post(format!("{}/predict", replicas[i]))
                        .json(&serde_json::json!({"designation": designation, "description": description}))
                        .send()
                        .await;
                    match answer {
                        Ok(r) if r.status().is_success() => {
                            let body: Value = r.json().await.unwrap_or_default();
                            if body["predicted_class"].is_null() {
                                failures.lock().unwrap().push(format!("{}: {body}", replicas[i]));
                            } else {
                                ok[i].fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Ok(r) => failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: HTTP {}", replicas[i], r.status())),
                        Err(e) => failures
                            .lock()
                            .unwrap()
                            .push(format!("{}: {e}", replicas[i])),
                    }
                }
            }));
        }
        Load {
            stop,
            ok,
            failures,
            tasks,
        }
    }

    fn served(&self) -> Vec<u64> {
        self.ok.iter().map(|n| n.load(Ordering::Relaxed)).collect()
    }

    async fn stop(self) -> (Vec<u64>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.await.unwrap();
        }
        let served = self.ok.iter().map(|n| n.load(Ordering::Relaxed)).collect();
        (served, self.failures.lock().unwrap().clone())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_by_task_queue_replicas_and_a_lost_training_host() {
    let cluster = Cluster::start().await;
    // Generated rows in the challenge's format: enough that an epoch lasts long enough to kill a worker in.
    support::import_generated(&cluster.db.store, &cluster.dir().join("seed"), 30_000).await;
    let mlops = cluster.worker(contracts::TASK_QUEUE, "worker-mlops");
    let mut trainer = cluster.worker(contracts::TRAINING_TASK_QUEUE, "worker-training-1");
    let client = worker::connect(&cluster.server.address, "default")
        .await
        .unwrap();

    // 1. The weekly pipeline, spread over the two workers as their queues say.
    let weekly = support::run_workflow(
        &client,
        workflows::WeeklyIngest::run,
        IngestInput {
            batch: Some("week-2026-W48".into()),
            ..Default::default()
        },
        "ingest-w48",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}; logs in {}", cluster.dir().display()));
    let training = weekly.training.clone().expect("a training");
    let dataset = weekly.dataset.clone().expect("a dataset").dataset_id;
    let ran = activities_of::<workflows::Training>(&client, &format!("training-{dataset}")).await;
    assert!(!ran.is_empty());
    for (kind, queue, by) in &ran {
        let training_step = kind == "train_model" || kind == "evaluate_model";
        let (want_queue, want_by) = if training_step {
            (contracts::TRAINING_TASK_QUEUE, identity(&trainer))
        } else {
            (contracts::TASK_QUEUE, identity(&mlops))
        };
        assert_eq!(
            (queue.as_str(), by.as_str()),
            (want_queue, want_by.as_str()),
            "{kind}: {ran:?}"
        );
    }
    assert!(ran.iter().any(|(k, ..)| k == "train_model"), "{ran:?}");
    for (kind, queue, by) in activities_of::<workflows::WeeklyIngest>(&client, "ingest-w48").await {
        assert_eq!(
            (queue.as_str(), by),
            (contracts::TASK_QUEUE, identity(&mlops)),
            "{kind}"
        );
    }
    // The checkpoints of a finished training are removed from the store.
    let checkpoints = lifecycle::checkpoints::prefix(&training.run_id);
    assert!(
        cluster
            .artifacts
            .list(&checkpoints)
            .await
            .unwrap()
            .is_empty()
    );

    // The first model of generated data may stay under the production threshold: an operator promotes it.
    let registry = cluster.registry();
    if !training.promoted {
        registry
            .transition(
                contracts::MODEL_NAME,
                training.version,
                Stage::Production,
                "cluster-test",
                "first model",
            )
            .await
            .unwrap();
    }

    // 2. Two replicas serving it.
    let (mut replica_1, rest_1) = cluster.replica("replica-1");
    let (_replica_2, rest_2) = cluster.replica("replica-2");
    let http = reqwest::Client::new();
    for r in [&rest_1, &rest_2] {
        cluster
            .wait_serving(&http, r, training.version, Duration::from_secs(60))
            .await;
    }
    let load = Load::start(&[rest_1.clone(), rest_2.clone()], 4);

    // 3. A retraining whose training worker dies after its first checkpoint: another one, on a fresh work
    // folder, resumes from the checkpoint in S3.
    let run_key = "cluster-retrain";
    let handle = client
        .start_workflow(
            workflows::Training::run,
            support::training_input(&dataset, Some(run_key), 3),
            WorkflowStartOptions::new(contracts::TASK_QUEUE, "training-retrain").build(),
        )
        .await
        .unwrap();
    let run_id = lifecycle::pipeline::run_id(&dataset, model::ModelType::DEFAULT, Some(run_key));
    let manifest = format!("{}/state.json", lifecycle::checkpoints::prefix(&run_id));
    let deadline = Instant::now() + Duration::from_secs(300);
    while !cluster.artifacts.exists(&manifest).await.unwrap() {
        assert!(Instant::now() < deadline, "no checkpoint reached the store");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    trainer.kill();
    assert!(
        registry
            .versions_of_run(contracts::MODEL_NAME, &run_id)
            .await
            .unwrap()
            .is_empty(),
        "killed before registering"
    );
    let second_trainer = cluster.worker(contracts::TRAINING_TASK_QUEUE, "worker-training-2");
    let retrained = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e:?}; logs in {}", cluster.dir().display()));
    assert!(
        retrained.resumed_at_epoch.is_some_and(|e| e >= 1),
        "resumed from the checkpoint in S3: {retrained:?}"
    );
    let versions = registry
        .versions_of_run(contracts::MODEL_NAME, &run_id)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1, "exactly one version registered");
    let ran = activities_of::<workflows::Training>(&client, "training-retrain").await;
    let trained_by = ran
        .iter()
        .find(|(k, ..)| k == "train_model")
        .map(|(.., by)| by.clone());
    assert_eq!(trained_by, Some(identity(&second_trainer)), "{ran:?}");

    // 4. A promotion reaches both replicas while the load runs.
    let before_swap = load.served();
    let promoted_at = Instant::now();
    if !retrained.promoted {
        registry
            .transition(
                contracts::MODEL_NAME,
                retrained.version,
                Stage::Production,
                "cluster-test",
                "retrained",
            )
            .await
            .unwrap();
    }
    for r in [&rest_1, &rest_2] {
        cluster
            .wait_serving(&http, r, retrained.version, Duration::from_secs(15))
            .await;
    }
    println!(
        "both replicas serve v{} {:?} after the promotion",
        retrained.version,
        promoted_at.elapsed()
    );

    // 5. SIGTERM of one replica under load: not ready at once, drained, exit 0; the other takes the load.
    let status = replica_1.terminate();
    assert!(status.success(), "replica-1 exit status {status}");
    let after_term = load.served();
    until(
        "load on the remaining replica",
        Duration::from_secs(10),
        async || (load.served()[1] > after_term[1] + 20).then_some(()),
    )
    .await;
    let (served, failures) = load.stop().await;
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        served
            .iter()
            .zip(&before_swap)
            .all(|(now, before)| now > before),
        "both replicas answered through the swap: {before_swap:?} → {served:?}"
    );
    println!("requests served per replica: {served:?}, failures: 0");
    cluster.db.cleanup().await;
}
