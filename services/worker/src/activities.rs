//! The Temporal activities: thin adapters from the workflows' contracts (`contracts::lifecycle`) to the
//! lifecycle steps ([`lifecycle::Lifecycle`]) and the capability crates. Every activity is idempotent
//! (retries and re-runs change nothing done before). Bad input — a refused load, a missing dataset version, an
//! unknown model type — fails non-retryably: retrying cannot fix it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use contracts::lifecycle::*;
use data::{DatasetOptions, LoadRequest, LoadStatus};
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use tracing::Instrument;

use lifecycle::{BadInput, Lifecycle};

use crate::metrics::{Outcome, WorkerMetrics};

pub struct LifecycleActivities {
    pub lifecycle: Lifecycle,
    pub metrics: Arc<WorkerMetrics>,
}

impl LifecycleActivities {
    /// Counts the execution by outcome and duration, and turns an error into Temporal's failure.
    fn done<T>(
        &self,
        activity: &str,
        started: Instant,
        result: anyhow::Result<T>,
    ) -> Result<T, ActivityError> {
        self.metrics
            .activity(activity, outcome_of(&result), started.elapsed());
        result.map_err(failure)
    }
}

fn outcome_of<T>(result: &anyhow::Result<T>) -> Outcome {
    match result {
        Ok(_) => Outcome::Completed,
        Err(e) if lifecycle::is_bad_input(e) => Outcome::BadInput,
        Err(_) => Outcome::Failed,
    }
}

/// The span an activity execution runs in (one trace per execution when traces are exported), with the
/// workflow and run it belongs to.
fn span(ctx: &ActivityContext, activity: &str) -> tracing::Span {
    let info = ctx.info();
    tracing::info_span!(
        "activity",
        otel.name = %format!("activity {activity}"),
        "activity.type" = %activity,
        activity.id = %info.activity_id,
        "workflow.type" = info.workflow_type.as_deref().unwrap_or(""),
        workflow.id = info.workflow_id.as_deref().unwrap_or(""),
        workflow.run_id = info.workflow_run_id.as_deref().unwrap_or(""),
        task_queue = %info.task_queue,
    )
}

/// An error for Temporal: the user's bad input is non-retryable, anything else is retried by the policy.
fn failure(e: anyhow::Error) -> ActivityError {
    let message = format!("{e:#}");
    if lifecycle::is_bad_input(&e) {
        ActivityError::application(ApplicationFailure::non_retryable(message))
    } else {
        ActivityError::application(ApplicationFailure::new(message))
    }
}

fn dataset_output(d: &data::DatasetVersion) -> DatasetOutput {
    let rows = |split: &str| {
        d.manifest
            .files
            .get(split)
            .map(|f| f.rows as i64)
            .unwrap_or(0)
    };
    DatasetOutput {
        dataset_id: d.id().to_string(),
        train_rows: rows("train"),
        validation_rows: rows("validation"),
        created: !d.reused,
    }
}

#[activities]
impl LifecycleActivities {
    #[activity(name = activity::LOAD_BATCH)]
    pub async fn load_batch(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: LoadBatchInput,
    ) -> Result<LoadBatchOutput, ActivityError> {
        let started = Instant::now();
        let lc = &self.lifecycle;
        let run = async {
            let status = lc.store.status().await?;
            // The same batch again asks for what it asked the first time (the store refuses a reused name with
            // another request): a re-run of a week loads nothing.
            let earlier = status.batches.iter().find(|b| b.name == input.batch);
            let request = match earlier {
                Some(b) if b.kind == "initial" => LoadRequest::Initial {
                    percent: b.requested_percent,
                },
                Some(b) => LoadRequest::Increment {
                    percent: b.requested_percent,
                },
                None if status.loaded_rows == 0 => LoadRequest::Initial {
                    percent: input.initial_percent,
                },
                None => LoadRequest::Increment {
                    percent: input.percent,
                },
            };
            let kind = match request {
                LoadRequest::Initial { .. } => "initial",
                LoadRequest::Increment { .. } => "incremental",
            };
            let outcome = lc.store.load(&request, &input.batch, &lc.actor).await?;
            let status = match outcome.status {
                LoadStatus::Loaded => "loaded",
                LoadStatus::AlreadyApplied => "already_applied",
                LoadStatus::PoolExhausted => "pool_exhausted",
                LoadStatus::TargetReached => "target_reached",
            };
            anyhow::Ok(LoadBatchOutput {
                status: status.into(),
                batch: input.batch.clone(),
                kind: kind.into(),
                rows: match outcome.status {
                    LoadStatus::Loaded => outcome.batch.as_ref().map(|b| b.rows).unwrap_or(0),
                    _ => 0,
                },
                loaded_rows: outcome.loaded_rows,
                pool_rows: outcome.pool_rows,
                percent_loaded: outcome.percent_loaded,
            })
        };
        self.done(
            activity::LOAD_BATCH,
            started,
            run.instrument(span(&ctx, activity::LOAD_BATCH)).await,
        )
    }

    #[activity(name = activity::BUILD_DATASET)]
    pub async fn build_dataset(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: BuildDatasetInput,
    ) -> Result<DatasetOutput, ActivityError> {
        let started = Instant::now();
        let lc = &self.lifecycle;
        let run = async {
            let mut options = DatasetOptions {
                actor: lc.actor.clone(),
                ..Default::default()
            };
            if let Some(s) = &input.strategy {
                options.strategy = s.parse()?;
            }
            let d = lc
                .store
                .build_dataset(&lc.registry.artifacts, &options)
                .await?;
            anyhow::Ok(dataset_output(&d))
        };
        self.done(
            activity::BUILD_DATASET,
            started,
            run.instrument(span(&ctx, activity::BUILD_DATASET)).await,
        )
    }

    #[activity(name = activity::CURRENT_DATASET)]
    pub async fn current_dataset(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: CurrentDatasetInput,
    ) -> Result<DatasetOutput, ActivityError> {
        let started = Instant::now();
        let lc = &self.lifecycle;
        let run = async {
            let d = match &input.dataset_id {
                Some(id) => lc
                    .store
                    .dataset_version(id)
                    .await?
                    .ok_or_else(|| BadInput(format!("dataset version {id} does not exist")))?,
                None => lc
                    .store
                    .dataset_versions()
                    .await?
                    .into_iter()
                    .max_by_key(|d| d.created_at)
                    .ok_or_else(|| {
                        BadInput("no dataset version yet: run the weekly ingest first".into())
                    })?,
            };
            anyhow::Ok(dataset_output(&d))
        };
        self.done(
            activity::CURRENT_DATASET,
            started,
            run.instrument(span(&ctx, activity::CURRENT_DATASET)).await,
        )
    }

    #[activity(name = activity::TRAIN_MODEL)]
    pub async fn train_model(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: TrainModelInput,
    ) -> Result<TrainModelOutput, ActivityError> {
        // Training reports every step on a watch channel; this task turns the latest into heartbeats (at most
        // one a second), so Temporal sees progress and notices a dead worker within the heartbeat timeout.
        let (tx, mut rx) = tokio::sync::watch::channel(None::<model::Progress>);
        let progress = move |p: &model::Progress| {
            lifecycle::pipeline::log_epoch(p);
            let _ = tx.send(Some(p.clone()));
        };
        let started = Instant::now();
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let train = self
            .lifecycle
            .train_stage_cancellable(&input, progress, cancel.clone())
            .instrument(span(&ctx, activity::TRAIN_MODEL));
        tokio::pin!(train);
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                result = &mut train => {
                    let fresh = result.as_ref().ok().filter(|o| o.registered_version.is_none());
                    let epochs = fresh.map(|o| o.epochs);
                    self.metrics.training(outcome_of(&result), started.elapsed(), epochs);
                    return self.done(activity::TRAIN_MODEL, started, result);
                }
                _ = ticker.tick() => {
                    let p = rx.borrow_and_update().clone();
                    let details = match p {
                        Some(p) => serde_json::json!({
                            "epoch": p.epoch, "max_epochs": p.max_epochs, "step": p.step,
                            "steps_per_epoch": p.steps_per_epoch, "loss": p.loss, "refit": p.refit,
                        }),
                        None => serde_json::json!({ "phase": "preparing" }),
                    };
                    if let Err(e) = ctx.record_heartbeat(details).await {
                        tracing::warn!(error = %e, "heartbeat not recorded");
                    }
                    if ctx.is_cancelled() {
                        // Stop the training thread too (between two batches), and wait for it: a cancelled
                        // training must not keep the cores busy.
                        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                        match tokio::time::timeout(Duration::from_secs(30), &mut train).await {
                            Err(_) => tracing::warn!(
                                "the training thread did not stop within 30 s of the cancellation"
                            ),
                            // Training had finished when the cancellation came (heartbeats, which carry it, are
                            // throttled): the run ends cancelled all the same.
                            Ok(Ok(output)) => {
                                if let Err(e) = self.lifecycle.cancel_trained_run(&output).await {
                                    tracing::warn!(error = %e, run = %output.run_id, "could not record the cancelled run");
                                }
                            }
                            Ok(Err(_)) => {}
                        }
                        self.metrics.training(Outcome::Cancelled, started.elapsed(), None);
                        self.metrics.activity(activity::TRAIN_MODEL, Outcome::Cancelled, started.elapsed());
                        return Err(ActivityError::cancelled());
                    }
                }
            }
        }
    }

    #[activity(name = activity::EVALUATE_MODEL)]
    pub async fn evaluate_model(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: EvaluateInput,
    ) -> Result<EvaluateOutput, ActivityError> {
        let started = Instant::now();
        let result = self
            .lifecycle
            .evaluate_stage(&input)
            .instrument(span(&ctx, activity::EVALUATE_MODEL))
            .await;
        self.done(activity::EVALUATE_MODEL, started, result)
    }

    #[activity(name = activity::REGISTER_MODEL)]
    pub async fn register_model(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: RegisterInput,
    ) -> Result<RegisterOutput, ActivityError> {
        let started = Instant::now();
        let result = self
            .lifecycle
            .register_stage(&input)
            .instrument(span(&ctx, activity::REGISTER_MODEL))
            .await;
        self.done(activity::REGISTER_MODEL, started, result)
    }

    #[activity(name = activity::APPLY_POLICY)]
    pub async fn apply_policy(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: PolicyInput,
    ) -> Result<PolicyOutput, ActivityError> {
        let started = Instant::now();
        let result = self
            .lifecycle
            .policy_stage(input.version)
            .instrument(span(&ctx, activity::APPLY_POLICY))
            .await;
        self.done(activity::APPLY_POLICY, started, result)
    }

    #[activity(name = activity::NOTIFY_SERVING)]
    pub async fn notify_serving(
        self: Arc<Self>,
        ctx: ActivityContext,
        _input: NotifyInput,
    ) -> Result<NotifyOutput, ActivityError> {
        let started = Instant::now();
        let lc = &self.lifecycle;
        let run = async {
            let generation = lc.registry.announce(&lc.name).await?;
            let production = lc.registry.production(&lc.name).await?;
            anyhow::Ok(NotifyOutput {
                production_version: production.map(|v| v.version),
                generation,
            })
        };
        self.done(
            activity::NOTIFY_SERVING,
            started,
            run.instrument(span(&ctx, activity::NOTIFY_SERVING)).await,
        )
    }

    #[activity(name = activity::DRIFT_CHECK)]
    pub async fn drift_check(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: DriftCheckInput,
    ) -> Result<DriftCheckOutput, ActivityError> {
        let started = Instant::now();
        let lc = &self.lifecycle;
        let run = async {
            let until: DateTime<Utc> = Utc
                .timestamp_millis_opt(input.until_ms)
                .single()
                .ok_or_else(|| anyhow::anyhow!("bad window end {}", input.until_ms))?;
            // Since the last check; the first check looks back `first_window_hours`. A retry of this very check
            // finds its own report (the same window end) and checks the same window again: the same report id,
            // recorded once.
            let since = match input.since_ms {
                // The workflow's own window (DailyDrift since `retraining-2`).
                Some(ms) => Utc
                    .timestamp_millis_opt(ms)
                    .single()
                    .filter(|s| *s < until)
                    .ok_or_else(|| BadInput::new(format!("bad window start {ms}")))?,
                None => {
                    let latest = lc.store.drift_reports(1).await?.into_iter().next();
                    match latest {
                        Some(r) if r.window_end == until => r.window_start,
                        Some(r) if r.window_end < until => r.window_end,
                        _ => until - chrono::Duration::hours(input.first_window_hours as i64),
                    }
                }
            };
            let check = lifecycle::monitoring::drift_check_served(
                &lc.registry,
                &lc.name,
                since,
                until,
                input.threshold,
                &lc.actor,
            )
            .await?;
            let r = &check.record;
            let message = if r.current_rows == 0 {
                format!(
                    "no inferences between {since} and {until}: nothing to compare, no retraining"
                )
            } else {
                let mut m = format!(
                    "{} of {} columns drifted ({:.0} %, threshold {:.0} %) over {} inferences",
                    r.drifted_columns,
                    r.columns,
                    r.share_drifted * 100.0,
                    input.threshold * 100.0,
                    r.current_rows
                );
                if r.dataset_drift && !check.retrain {
                    m.push_str(&format!(
                        "; insufficient data: too few inferences to retrain on (minimum {})",
                        lifecycle::monitoring::MIN_CURRENT_ROWS
                    ));
                }
                m
            };
            anyhow::Ok(DriftCheckOutput {
                report_id: r.id.clone(),
                since: since.to_rfc3339(),
                until: until.to_rfc3339(),
                current_rows: r.current_rows,
                share_drifted: r.share_drifted,
                dataset_drift: r.dataset_drift,
                retrain: check.retrain,
                message,
            })
        };
        self.done(
            activity::DRIFT_CHECK,
            started,
            run.instrument(span(&ctx, activity::DRIFT_CHECK)).await,
        )
    }

    #[activity(name = activity::SCORE_BATCH)]
    pub async fn score_batch(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ScoreBatchInput,
    ) -> Result<Option<LiveScoreOutput>, ActivityError> {
        let started = Instant::now();
        let result = self
            .lifecycle
            .score_batch(&input.batch)
            .instrument(span(&ctx, activity::SCORE_BATCH))
            .await;
        self.done(activity::SCORE_BATCH, started, result)
    }
}
