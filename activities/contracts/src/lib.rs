//! The names and defaults that several parts of the system must agree on, in one place, with no I/O:
//! the CLI, the activities and (issue 7) the Temporal workflows and schedules all read them from here.

pub mod calendar;
pub mod lifecycle;

/// The registered model that serves.
pub const MODEL_NAME: &str = "rakuten_classifier";

/// Share of the source pool loaded by the first load, in percent.
pub const INITIAL_LOAD_PERCENT: f64 = 40.0;
/// Share of the source pool added by each weekly load, in percent.
pub const WEEKLY_LOAD_PERCENT: f64 = 3.0;
/// Share of each class kept aside at import as the fixed evaluation holdout.
pub const HOLDOUT_FRACTION: f64 = 0.15;
/// Share of drifted columns above which the daily drift check starts a retraining.
pub const RETRAIN_DRIFT_SHARE: f64 = 0.3;
/// Challengers a retraining trains in parallel (drift- or live-F1-triggered), the best on validation judged.
pub const RETRAIN_CHALLENGERS: u32 = 3;
/// A weekly batch retrains with challengers when the Production model's live F1 on it is this far below its
/// holdout F1 (weighted F1 points, 0.05 = 5 points).
pub const LIVE_F1_MARGIN: f64 = 0.05;

/// The batch a drift retraining loads early on `date` (YYYY-MM-DD): the audit trail names it.
pub fn drift_batch_name(date: &str) -> String {
    format!("drift-{date}")
}

/// Temporal task queue of the workflows and of every activity but training's (data, registry, drift: light
/// work any small worker can take).
pub const TASK_QUEUE: &str = "rakuten-mlops";
/// Temporal task queue of the training activities (train, holdout evaluation): CPU-heavy, for the machines
/// meant for it. A worker takes one queue or both (`rakuten worker --task-queues`; `up` takes both).
pub const TRAINING_TASK_QUEUE: &str = "rakuten-training";
/// Every task queue of the lifecycle, in the order a worker that takes them all starts them.
pub const TASK_QUEUES: [&str; 2] = [TASK_QUEUE, TRAINING_TASK_QUEUE];
/// Temporal schedule of the weekly ingest (Mondays 00:00 UTC).
pub const WEEKLY_INGEST_SCHEDULE_ID: &str = "weekly-ingest";
pub const WEEKLY_INGEST_CRON: &str = "0 0 * * 1";
/// Temporal schedule of the daily drift check (09:00 UTC).
pub const DAILY_DRIFT_SCHEDULE_ID: &str = "daily-drift";
pub const DAILY_DRIFT_CRON: &str = "0 9 * * *";

/// Name of the first load batch.
pub const INITIAL_BATCH_NAME: &str = "initial";

/// Name of a weekly load batch: the idempotency key of a week's load (a retried or repeated run of the same ISO
/// week loads nothing the second time).
pub fn weekly_batch_name(iso_year: i32, iso_week: u32) -> String {
    format!("week-{iso_year}-W{iso_week:02}")
}

/// Business id of a weekly ingest: one per ISO week, so a repeated run of the same week is the same workflow.
pub fn weekly_ingest_workflow_id(iso_year: i32, iso_week: u32) -> String {
    format!("weekly-ingest-{iso_year}-W{iso_week:02}")
}

/// Business id of a daily drift check, and of the retraining it may start: at most one of each per day.
pub fn daily_drift_workflow_id(date: &str) -> String {
    format!("daily-drift-{date}")
}

pub fn drift_retraining_workflow_id(date: &str) -> String {
    format!("training-drift-{date}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_ids() {
        assert_eq!(weekly_ingest_workflow_id(2026, 3), "weekly-ingest-2026-W03");
        assert_eq!(
            daily_drift_workflow_id("2026-11-27"),
            "daily-drift-2026-11-27"
        );
        assert_eq!(
            drift_retraining_workflow_id("2026-11-27"),
            "training-drift-2026-11-27"
        );
    }
}
