//! The Temporal worker: the lifecycle workflows (crate `workflows`) and their activities ([`activities`]) on
//! the task queue `contracts::TASK_QUEUE`.
//!
//! The SDK's worker future is not `Send` (workflow code runs on one thread), so a worker runs either in the
//! foreground of `rakuten worker` or on a thread of its own ([`WorkerThread`], for `rakuten up` and tests).

pub mod activities;

use std::path::PathBuf;

use anyhow::Context;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

use crate::pipeline::Lifecycle;
use activities::LifecycleActivities;

/// Everything a worker needs to run the lifecycle.
#[derive(Clone)]
pub struct WorkerConfig {
    pub temporal_address: String,
    pub namespace: String,
    pub task_queue: String,
    pub lifecycle: Lifecycle,
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
            lifecycle: Lifecycle {
                registry: registry::Registry::new(store.clone(), artifacts),
                store,
                name: contracts::MODEL_NAME.into(),
                work_dir,
                actor,
                policy: registry::Policy::default(),
            },
        }
    }
}

async fn build(config: &WorkerConfig) -> anyhow::Result<Worker> {
    let runtime = Runtime::from_current_tokio(Default::default())
        .map_err(|e| anyhow::anyhow!("Temporal runtime: {e}"))?;
    let client = crate::temporal::connect(&config.temporal_address, &config.namespace).await?;
    let options = WorkerOptions::new(config.task_queue.clone())
        .register_workflow::<workflows::WeeklyIngest>()?
        .register_workflow::<workflows::Training>()?
        .register_workflow::<workflows::DailyDrift>()?
        .register_activities(LifecycleActivities {
            lifecycle: config.lifecycle.clone(),
        })
        .build();
    Worker::new(&runtime, client, options).context("creating the Temporal worker")
}

/// Runs a worker until `stop` resolves, then shuts it down gracefully (running activities finish or are
/// handed back to the server; no new tasks are taken).
pub async fn run_until(
    config: &WorkerConfig,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut worker = build(config).await?;
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

/// SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A worker on its own thread and runtime; [`WorkerThread::stop`] shuts it down and waits.
pub struct WorkerThread {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl WorkerThread {
    pub fn spawn(config: WorkerConfig) -> anyhow::Result<WorkerThread> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("temporal-worker".into())
            .spawn(move || {
                // Not on the CPU of whichever thread started it (its runtime's threads inherit this mask).
                crate::runtime::unpin_current_thread();
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
