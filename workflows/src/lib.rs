//! The lifecycle as Temporal workflows: deterministic code only. No I/O, no tokio timers, no wall clock, no
//! thread-local randomness: time comes from the workflow history (`ctx.workflow_time()`), and everything
//! that touches the world runs in activities, declared here by their contract only ([`activities`]) and
//! implemented by the worker (`services/rakuten/src/worker`).
//!
//! - [`WeeklyIngest`]: load this week's batch (+3 %, or the initial 40 % when nothing is loaded), build the
//!   dataset version, run [`Training`] as a child workflow; stops cleanly once the pool is exhausted.
//! - [`Training`]: train (long, heartbeating, resumable) → evaluate on the fixed holdout → register →
//!   promotion policy → tell serving. Returns the version and the decision.
//! - [`DailyDrift`]: drift of the inference log since the last check; when the drifted share passes the
//!   threshold, starts one retraining per day (the workflow id says which day).
//!
//! Each workflow answers the `progress` query with its step and percent.

pub mod activities;
mod drift;
mod ingest;
mod options;
pub mod search;
mod training;

pub use drift::DailyDrift;
pub use ingest::WeeklyIngest;
pub use training::Training;

/// Patch id (`ctx.patched`) of what was added after histories were recorded: search attributes and the memo in
/// every workflow, the live score in WeeklyIngest. A history without the marker replays the old path; every new
/// run takes the new one.
pub(crate) const PATCH_OBSERVABILITY: &str = "observability-1";

/// Patch id of the split task queues: Training schedules `train_model` and `evaluate_model` on
/// `contracts::TRAINING_TASK_QUEUE`. Histories without the marker keep both on the workflow's queue.
pub const PATCH_TASK_QUEUES: &str = "task-queues-1";

/// Patch id of the retraining that can win (issue 14): Training fans out challengers when asked and passes the
/// discarded ones to registration; DailyDrift checks a fixed window ending at its start (to the minute),
/// loads a drift batch early and retrains with challengers; WeeklyIngest retrains with challengers when the
/// live F1 falls below the holdout F1 by the margin. Histories without the marker replay the earlier paths.
pub const PATCH_RETRAINING: &str = "retraining-2";

/// Unix milliseconds of the workflow's current time (from history: identical on replay).
pub(crate) fn workflow_unix_millis(time: Option<std::time::SystemTime>) -> i64 {
    time.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A workflow whose state carries its [`Progress`](contracts::lifecycle::Progress), for the `progress` query.
pub(crate) trait HasProgress {
    fn progress_mut(&mut self) -> &mut contracts::lifecycle::Progress;
}

/// Records the workflow's current step (what the `progress` query answers).
pub(crate) fn set_progress<W: HasProgress>(
    ctx: &temporalio_sdk::WorkflowContext<W>,
    step: &str,
    percent: u32,
    detail: String,
) {
    ctx.state_mut(|s| {
        *s.progress_mut() = contracts::lifecycle::Progress {
            step: step.into(),
            percent,
            detail,
        }
    });
}
