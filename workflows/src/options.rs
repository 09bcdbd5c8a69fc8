//! Timeouts and retry policies, chosen per activity. Bad input (a refused load, a dataset that does not
//! exist, an unknown model type) fails non-retryably in the activity itself; these policies bound the rest.

use std::time::Duration;

use temporalio_sdk::ActivityOptions;
use temporalio_workflow::RetryPolicy;

fn retry(max_attempts: u32, max_interval_secs: u64) -> RetryPolicy {
    RetryPolicy::builder()
        .initial_interval(Duration::from_secs(1))
        .backoff_coefficient(2.0)
        .maximum_interval(Duration::from_secs(max_interval_secs))
        .maximum_attempts(max_attempts)
        .build()
}

/// Database work of seconds (load, dataset, policy, notify, current dataset).
pub(crate) fn database_step(minutes: u64) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(minutes * 60))
        .retry_policy(retry(10, 60))
        .build()
}

/// Training: long, so it heartbeats; a worker that stops heartbeating loses the task after
/// `heartbeat_timeout` and another attempt resumes from the checkpoint (kept in the artifact store, so any
/// worker of the queue can). `queue`: the training task queue, or `None` for the workflow's own (histories
/// recorded before the queues were split).
pub(crate) fn training(heartbeat_timeout_secs: u64, queue: Option<&str>) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(4 * 3600))
        .heartbeat_timeout(Duration::from_secs(heartbeat_timeout_secs))
        .retry_policy(retry(5, 120))
        .maybe_task_queue(queue.map(str::to_string))
        .build()
}

/// Holdout evaluation of a trained model: CPU-bound, on the training queue when `queue` says so.
pub(crate) fn evaluation(minutes: u64, queue: Option<&str>) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(minutes * 60))
        .retry_policy(retry(10, 60))
        .maybe_task_queue(queue.map(str::to_string))
        .build()
}

/// Registration, drift, live scores: CPU or I/O bound, minutes at most. Ten attempts (backoff 1 s doubling to
/// 60 s): an artifact store or database away for up to four minutes costs a delay, not the workflow.
pub(crate) fn compute_step(minutes: u64) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(Duration::from_secs(minutes * 60))
        .retry_policy(retry(10, 60))
        .build()
}
