//! The worker's Prometheus metrics, one text for one `/metrics` endpoint per process:
//!
//! - its own counters, kept in memory: activity executions by outcome and their durations, training runs,
//!   durations and epochs ([`WorkerMetrics`]);
//! - the Temporal SDK's worker metrics (`temporal_workflow_completed`, `temporal_workflow_failed`,
//!   `temporal_activity_execution_latency`, task slots, polls…), which the SDK exports on a loopback port
//!   of its own; [`WorkerMetrics::render`] reads them from there;
//! - the lifecycle's state, read from the database at scrape time (`Lifecycle::state_metrics`).
//!
//! Names follow `rakuten_<what>_<unit>[_total]`; labels are bounded (the activity type names, four outcomes).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use lifecycle::Lifecycle;

/// Activity duration buckets, seconds: database steps take milliseconds, training minutes to hours.
pub const ACTIVITY_BUCKETS_SECONDS: [f64; 14] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
];
/// Training duration buckets, seconds.
pub const TRAINING_BUCKETS_SECONDS: [f64; 10] =
    [1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0];
/// Epoch buckets.
pub const EPOCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 25.0];

/// The activity types this worker runs.
const ACTIVITIES: [&str; 10] = {
    use contracts::lifecycle::activity::*;
    [
        LOAD_BATCH,
        BUILD_DATASET,
        CURRENT_DATASET,
        TRAIN_MODEL,
        EVALUATE_MODEL,
        REGISTER_MODEL,
        APPLY_POLICY,
        NOTIFY_SERVING,
        DRIFT_CHECK,
        SCORE_BATCH,
    ]
};

/// How an activity execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// Failed and will be retried by the policy.
    Failed,
    /// Failed on bad input: not retried.
    BadInput,
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Completed,
        Outcome::Failed,
        Outcome::BadInput,
        Outcome::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Failed => "failed",
            Outcome::BadInput => "bad_input",
            Outcome::Cancelled => "cancelled",
        }
    }
}

pub struct WorkerMetrics {
    registry: Registry,
    activity_executions: IntCounterVec,
    activity_duration: HistogramVec,
    training_runs: IntCounterVec,
    training_duration: Histogram,
    training_epochs: Histogram,
    /// Where the SDK serves its metrics (set when the worker starts).
    sdk_address: OnceLock<SocketAddr>,
    http: reqwest::Client,
}

impl Default for WorkerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerMetrics {
    pub fn new() -> WorkerMetrics {
        let registry = Registry::new();
        let activity_executions = IntCounterVec::new(
            Opts::new(
                "rakuten_activity_executions_total",
                "Activity executions by activity type and outcome (completed, failed, bad_input, cancelled).",
            ),
            &["activity", "outcome"],
        )
        .expect("valid metric");
        let activity_duration = HistogramVec::new(
            HistogramOpts::new(
                "rakuten_activity_duration_seconds",
                "Wall time of one activity execution, by activity type.",
            )
            .buckets(ACTIVITY_BUCKETS_SECONDS.to_vec()),
            &["activity"],
        )
        .expect("valid metric");
        let training_runs = IntCounterVec::new(
            Opts::new(
                "rakuten_training_runs_total",
                "Training activity executions by outcome.",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let training_duration = Histogram::with_opts(
            HistogramOpts::new(
                "rakuten_training_duration_seconds",
                "Wall time of a completed training (data, features, epochs, refit, artifact).",
            )
            .buckets(TRAINING_BUCKETS_SECONDS.to_vec()),
        )
        .expect("valid metric");
        let training_epochs = Histogram::with_opts(
            HistogramOpts::new(
                "rakuten_training_epochs",
                "Epochs a completed training ran (early stopping picks the count).",
            )
            .buckets(EPOCH_BUCKETS.to_vec()),
        )
        .expect("valid metric");
        // Every series at 0 from the start, so that `increase` sees the first failure too.
        for outcome in Outcome::ALL {
            training_runs.with_label_values(&[outcome.as_str()]);
        }
        for activity in ACTIVITIES {
            for outcome in Outcome::ALL {
                activity_executions.with_label_values(&[activity, outcome.as_str()]);
            }
        }
        for c in [
            Box::new(activity_executions.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(activity_duration.clone()),
            Box::new(training_runs.clone()),
            Box::new(training_duration.clone()),
            Box::new(training_epochs.clone()),
        ] {
            registry.register(c).expect("one metric per name");
        }
        WorkerMetrics {
            registry,
            activity_executions,
            activity_duration,
            training_runs,
            training_duration,
            training_epochs,
            sdk_address: OnceLock::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .expect("an HTTP client without TLS builds"),
        }
    }

    pub fn activity(&self, activity: &str, outcome: Outcome, elapsed: Duration) {
        self.activity_executions
            .with_label_values(&[activity, outcome.as_str()])
            .inc();
        self.activity_duration
            .with_label_values(&[activity])
            .observe(elapsed.as_secs_f64());
    }

    pub fn training(&self, outcome: Outcome, elapsed: Duration, epochs: Option<u32>) {
        self.training_runs
            .with_label_values(&[outcome.as_str()])
            .inc();
        if outcome == Outcome::Completed {
            self.training_duration.observe(elapsed.as_secs_f64());
            if let Some(e) = epochs {
                self.training_epochs.observe(f64::from(e));
            }
        }
    }

    pub(crate) fn set_sdk_address(&self, address: SocketAddr) {
        let _ = self.sdk_address.set(address);
    }

    /// Everything in the Prometheus text format: this worker's counters, the lifecycle's state, then the SDK's
    /// metrics (each source that does not answer in time is left out).
    pub async fn render(&self, lifecycle: &Lifecycle) -> String {
        let mut families = self.registry.gather();
        families.extend(lifecycle.state_metrics(Duration::from_secs(2)).await);
        let mut text = prometheus::TextEncoder::new()
            .encode_to_string(&families)
            .unwrap_or_else(|e| format!("# encoding failed: {e}\n"));
        if let Some(address) = self.sdk_address.get() {
            let sdk = self
                .http
                .get(format!("http://{address}/metrics"))
                .send()
                .await
                .and_then(|r| r.error_for_status());
            match sdk {
                Ok(r) => match r.text().await {
                    Ok(body) => text.push_str(&body),
                    Err(e) => tracing::debug!(error = %e, "reading the SDK's metrics"),
                },
                Err(e) => tracing::debug!(error = %e, "the SDK's metrics did not answer"),
            }
        }
        text
    }
}

/// Serves `GET /metrics` (and `GET /livez`) on `listener` until `stop` resolves: the worker's
/// [`WorkerMetrics::render`] over `lifecycle`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: std::sync::Arc<WorkerMetrics>,
    lifecycle: Lifecycle,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use axum::routing::get;
    let state = std::sync::Arc::new((metrics, lifecycle));
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(
                |axum::extract::State(s): axum::extract::State<
                    std::sync::Arc<(std::sync::Arc<WorkerMetrics>, Lifecycle)>,
                >| async move {
                    (
                        [(
                            http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        s.0.render(&s.1).await,
                    )
                },
            ),
        )
        .route("/livez", get(|| async { "ok\n" }))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    Ok(())
}
