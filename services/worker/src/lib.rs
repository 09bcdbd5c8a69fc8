//! The Temporal worker as a library: the lifecycle workflows (crate `workflows`) and their activities
//! ([`activities`]: adapters from the workflows' contracts to `lifecycle`) on the task queue
//! `contracts::TASK_QUEUE`; [`client`] connects to Temporal.
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
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use activities::LifecycleActivities;
use lifecycle::Lifecycle;

/// Everything a worker needs to run the lifecycle.
#[derive(Clone)]
pub struct WorkerConfig {
    pub temporal_address: String,
    pub namespace: String,
    pub task_queue: String,
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
            task_queue: contracts::TASK_QUEUE.into(),
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

/// The worker, and the task serving the SDK's metrics (to stop with it).
async fn build(config: &WorkerConfig) -> anyhow::Result<(Worker, tokio::task::AbortHandle)> {
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
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow::<workflows::WeeklyIngest>()?
        .register_workflow::<workflows::Training>()?
        .register_workflow::<workflows::DailyDrift>()?
        .register_activities(LifecycleActivities {
            lifecycle: config.lifecycle.clone(),
            metrics: config.metrics.clone(),
        })
        .build();
    let worker = Worker::new(&runtime, client, options).context("creating the Temporal worker")?;
    Ok((worker, sdk_metrics.abort_handle))
}

/// Runs a worker until `stop` resolves, then shuts it down gracefully (running activities finish or are
/// handed back to the server; no new tasks are taken).
pub async fn run_until(
    config: &WorkerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (mut worker, sdk_metrics) = build(config).await?;
    let _stop_metrics = AbortOnDrop(sdk_metrics);
    let shutdown = worker.shutdown_handle();
    tracing::info!(
        task_queue = %config.task_queue,
        temporal = %config.temporal_address,
        namespace = %config.namespace,
        "worker polling"
    );
    let run = worker.run();
    tokio::pin!(run);
    tokio::select! {
        result = &mut run => result.context("the Temporal worker stopped")?,
        _ = stop => {
            tracing::info!("shutting the worker down");
            shutdown();
            run.await.context("the Temporal worker stopped")?;
        }
    }
    Ok(())
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
