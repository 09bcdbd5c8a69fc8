//! The Temporal worker as a library: the lifecycle workflows (crate `workflows`) and their activities
//! ([`activities`]: adapters from the workflows' contracts to `lifecycle`) on the task queues it is given:
//! `contracts::TASK_QUEUE` (the workflows and the light activities) and `contracts::TRAINING_TASK_QUEUE`
//! (training and holdout evaluation), one SDK worker per queue, each with its own activity slots;
//! [`client`] connects to Temporal.
//!
//! The SDK's worker future is not `Send` (workflow code runs on one thread), so a worker runs either in the
//! foreground of `rakuten worker` ([`run_until`]) or on a thread of its own ([`WorkerThread`], for `rakuten up`
//! and tests).
//!
//! Depends on `workflows`, `lifecycle` and the capability crates, and the Temporal SDK. Must not depend on: the
//! inference service, clap, or the `rakuten` binary (which hosts this crate and owns the process: signals, CPU
//! affinity, the dev server).

pub mod activities;
pub mod client;
pub mod metrics;

pub use client::{connect, connect_when_ready};

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::{
    PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter,
};
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::runtime::worker_tuner::{FixedSizeSlotSupplier, TunerHolder};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use activities::LifecycleActivities;
use lifecycle::Lifecycle;

/// Default activity slots of the main queue.
pub const DEFAULT_MAX_CONCURRENT_ACTIVITIES: usize = 16;
/// Default activity slots of the training queue.
pub const DEFAULT_MAX_CONCURRENT_TRAININGS: usize = 1;

/// Everything a worker needs to run the lifecycle.
#[derive(Clone)]
pub struct WorkerConfig {
    pub temporal_address: String,
    pub namespace: String,
    /// The task queues this worker polls (`contracts::TASK_QUEUES` by default: all of them).
    pub task_queues: Vec<String>,
    /// Activities run at once on the main queue (`contracts::TASK_QUEUE`).
    pub max_concurrent_activities: usize,
    /// Activities run at once on the training queue: a training uses every core, so 1 by default.
    pub max_concurrent_trainings: usize,
    pub lifecycle: Lifecycle,
    /// The worker's metrics; [`metrics::WorkerMetrics::render`] gives the text a `/metrics` endpoint serves.
    pub metrics: Arc<metrics::WorkerMetrics>,
}

impl WorkerConfig {
    pub fn new(
        temporal_address: &str,
        namespace: &str,
        store: data::Store,
        artifacts: data::ArtifactStore,
        work_dir: PathBuf,
        actor: String,
    ) -> WorkerConfig {
        WorkerConfig {
            temporal_address: temporal_address.into(),
            namespace: namespace.into(),
            task_queues: contracts::TASK_QUEUES.map(String::from).to_vec(),
            max_concurrent_activities: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
            max_concurrent_trainings: DEFAULT_MAX_CONCURRENT_TRAININGS,
            metrics: Arc::new(metrics::WorkerMetrics::new()),
            lifecycle: Lifecycle {
                registry: registry::Registry::new(store.clone(), artifacts),
                store,
                name: contracts::MODEL_NAME.into(),
                work_dir,
                actor,
                policy: registry::Policy::default(),
                code_version: None,
            },
        }
    }
}

/// The workers (one per task queue), and the task serving the SDK's metrics (to stop with them).
async fn build(config: &WorkerConfig) -> anyhow::Result<(Vec<Worker>, tokio::task::AbortHandle)> {
    if config.task_queues.is_empty() {
        anyhow::bail!("a worker needs at least one task queue");
    }
    // The SDK's own metrics (workflow and activity outcomes, latencies, task slots) on a loopback port that
    // `WorkerMetrics::render` reads and serves with the rest.
    let sdk_metrics = start_prometheus_metric_exporter(
        PrometheusExporterOptions::builder()
            .socket_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .counters_total_suffix(true)
            .use_seconds_for_durations(true)
            .unit_suffix(true)
            .build(),
    )
    .context("starting the SDK's metrics exporter")?;
    config.metrics.set_sdk_address(sdk_metrics.bound_addr);
    let telemetry = TelemetryOptions::builder()
        .metrics(sdk_metrics.meter as Arc<dyn CoreMeter>)
        .build();
    let options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(|e| anyhow::anyhow!("Temporal runtime options: {e}"))?;
    let runtime = Runtime::from_current_tokio(options)
        .map_err(|e| anyhow::anyhow!("Temporal runtime: {e}"))?;
    let client = client::connect(&config.temporal_address, &config.namespace).await?;
    let mut workers = Vec::new();
    for queue in &config.task_queues {
        let training = queue == contracts::TRAINING_TASK_QUEUE;
        let slots = if training {
            config.max_concurrent_trainings
        } else {
            config.max_concurrent_activities
        };
        // No activity slots on the main queue: a workflow-only worker (activities run on other workers).
        if slots == 0 && training {
            anyhow::bail!("task queue {queue}: the concurrent training limit must be at least 1");
        }
        let tuner = TunerHolder::builder()
            .workflow_task_slot_supplier(FixedSizeSlotSupplier::new(100))
            .activity_task_slot_supplier(FixedSizeSlotSupplier::new(slots.max(1)))
            .local_activity_task_slot_supplier(FixedSizeSlotSupplier::new(100))
            .nexus_task_slot_supplier(FixedSizeSlotSupplier::new(10))
            .build();
        // Heartbeats reach the server at least every 5 s (the SDK's default throttle is 80 % of the heartbeat
        // timeout, up to a minute): a cancelled training learns of it, and stops, within seconds.
        let mut options = WorkerOptions::new(queue.clone())
            .tuner(tuner)
            .max_heartbeat_throttle_interval(std::time::Duration::from_secs(5));
        // Workflows run on the main queue only: a training-only worker polls activity tasks and nothing else.
        if !training {
            options = options
                .register_workflow::<workflows::WeeklyIngest>()?
                .register_workflow::<workflows::Training>()?
                .register_workflow::<workflows::DailyDrift>()?;
        }
        if slots > 0 {
            options = options.register_activities(LifecycleActivities {
                lifecycle: config.lifecycle.clone(),
                metrics: config.metrics.clone(),
            });
        }
        let options = options.build();
        workers.push(
            Worker::new(&runtime, client.clone(), options)
                .with_context(|| format!("creating the Temporal worker of task queue {queue}"))?,
        );
    }
    Ok((workers, sdk_metrics.abort_handle))
}

/// Runs the workers until `stop` resolves (or one of them stops), then shuts them all down gracefully
/// (running activities finish or are handed back to the server; no new tasks are taken).
pub async fn run_until(
    config: &WorkerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (mut workers, sdk_metrics) = build(config).await?;
    let _stop_metrics = AbortOnDrop(sdk_metrics);
    let shutdowns: Vec<_> = workers.iter().map(|w| w.shutdown_handle()).collect();
    tracing::info!(
        task_queues = %config.task_queues.join(","),
        max_concurrent_activities = config.max_concurrent_activities,
        max_concurrent_trainings = config.max_concurrent_trainings,
        temporal = %config.temporal_address,
        namespace = %config.namespace,
        "worker polling"
    );
    let mut runs: futures::stream::FuturesUnordered<_> = workers
        .iter_mut()
        .map(|w| async move {
            let queue = w.task_queue().to_string();
            w.run()
                .await
                .with_context(|| format!("the Temporal worker of task queue {queue} stopped"))
        })
        .collect();
    use futures::StreamExt;
    tokio::pin!(stop);
    let mut first_error = None;
    tokio::select! {
        finished = runs.next() => {
            // One queue's worker stopped on its own: stop the others too, and report why.
            if let Some(Err(e)) = finished {
                first_error = Some(e);
            }
            shutdowns.iter().for_each(|s| s());
        }
        _ = &mut stop => {
            tracing::info!("shutting the worker down");
            shutdowns.iter().for_each(|s| s());
        }
    }
    while let Some(result) = runs.next().await {
        if let (Err(e), None) = (result, &first_error) {
            first_error = Some(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A worker on its own thread and runtime; [`WorkerThread::stop`] shuts it down and waits.
pub struct WorkerThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl WorkerThread {
    pub fn spawn(config: WorkerConfig) -> anyhow::Result<WorkerThread> {
        Self::spawn_with(config, || {})
    }

    /// [`WorkerThread::spawn`], running `on_start` first on the new thread (the host resets its CPU affinity
    /// there: the thread and its runtime's threads inherit the mask of whichever thread started it).
    pub fn spawn_with(
        config: WorkerConfig,
        on_start: impl FnOnce() + Send + 'static,
    ) -> anyhow::Result<WorkerThread> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("temporal-worker".into())
            .spawn(move || {
                on_start();
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(run_until(&config, async {
                    let _ = stop_rx.await;
                }))
            })?;
        Ok(WorkerThread {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Shuts the worker down and waits for its thread.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the worker thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for WorkerThread {
    fn drop(&mut self) {
        if let Err(e) = self.stop_inner() {
            tracing::warn!(error = %e, "worker stopped with an error");
        }
    }
}
