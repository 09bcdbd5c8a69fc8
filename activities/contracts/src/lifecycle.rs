//! What crosses the Temporal boundary: the inputs and outputs of the lifecycle workflows and their
//! activities, and the activity and workflow type names. Plain serde types; the workflows crate and the
//! worker's activity adapters both read them from here, so the two sides cannot disagree on a field.

use serde::{Deserialize, Serialize};

/// Activity type names, as registered by the worker and called by the workflows.
pub mod activity {
    pub const LOAD_BATCH: &str = "load_batch";
    pub const BUILD_DATASET: &str = "build_dataset";
    pub const CURRENT_DATASET: &str = "current_dataset";
    pub const TRAIN_MODEL: &str = "train_model";
    pub const EVALUATE_MODEL: &str = "evaluate_model";
    pub const REGISTER_MODEL: &str = "register_model";
    pub const APPLY_POLICY: &str = "apply_policy";
    pub const NOTIFY_SERVING: &str = "notify_serving";
    pub const DRIFT_CHECK: &str = "drift_check";
    pub const SCORE_BATCH: &str = "score_batch";
}

/// Workflow type names (what the Temporal UI shows and schedules start).
pub mod workflow {
    pub const WEEKLY_INGEST: &str = "WeeklyIngest";
    pub const TRAINING: &str = "Training";
    pub const DAILY_DRIFT: &str = "DailyDrift";
}

/// Where a workflow is: the answer of its `progress` query.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The current (or last) step, e.g. `load`, `dataset`, `training`, `done`.
    pub step: String,
    /// Steps finished over steps planned, 0..=100.
    pub percent: u32,
    /// One line on the last thing that happened.
    #[serde(default)]
    pub detail: String,
}

// ---------------------------------------------------------------- WeeklyIngest

/// Input of WeeklyIngest. Every field is optional: a schedule starts it with the defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestInput {
    /// Batch name; default `week-YYYY-Www` of the workflow's start time (UTC).
    #[serde(default)]
    pub batch: Option<String>,
    /// Weekly share in percent (default [`crate::WEEKLY_LOAD_PERCENT`]).
    #[serde(default)]
    pub percent: Option<f64>,
    /// Share of the first load, when nothing is loaded yet (default [`crate::INITIAL_LOAD_PERCENT`]).
    #[serde(default)]
    pub initial_percent: Option<f64>,
    /// Training options passed to the child Training workflow.
    #[serde(default)]
    pub training: TrainingOptions,
    /// Retrain with challengers when the Production model's live F1 on the new batch falls more than this
    /// below its holdout F1 (default [`crate::LIVE_F1_MARGIN`]).
    #[serde(default)]
    pub live_f1_margin: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadBatchInput {
    pub batch: String,
    pub percent: f64,
    pub initial_percent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadBatchOutput {
    /// `loaded`, `already_applied`, `pool_exhausted` or `target_reached` (as `rakuten data load` says).
    pub status: String,
    pub batch: String,
    /// `initial` or `incremental`.
    pub kind: String,
    /// Rows this batch added (0 when it was applied before).
    pub rows: i64,
    pub loaded_rows: i64,
    pub pool_rows: i64,
    pub percent_loaded: f64,
}

impl LoadBatchOutput {
    /// Nothing was loaded now and nothing is left to load: the lifecycle has reached 100 %.
    pub fn pool_exhausted(&self) -> bool {
        self.status == "pool_exhausted"
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildDatasetInput {
    /// `none`, `undersample` or `oversample` (default: the data crate's default).
    #[serde(default)]
    pub strategy: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetOutput {
    pub dataset_id: String,
    pub train_rows: i64,
    pub validation_rows: i64,
    pub created: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IngestOutput {
    pub load: LoadBatchOutput,
    /// The Production model scored on the new batch before training on it (none before the first model).
    #[serde(default)]
    pub live: Option<LiveScoreOutput>,
    pub dataset: Option<DatasetOutput>,
    pub training: Option<TrainingOutput>,
    /// Why the workflow stopped before training (`pool exhausted: 100 % loaded`).
    pub stopped: Option<String>,
    /// Why this week's training ran with challengers (the live F1 fell below the holdout F1 by the margin).
    #[serde(default)]
    pub retrain_trigger: Option<String>,
}

/// Input of `score_batch`: score the Production model on a loaded batch's labelled rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreBatchInput {
    pub batch: String,
}

/// The live score of a batch: the Production model's F1 on rows it has never seen, beside its holdout F1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveScoreOutput {
    pub batch: String,
    pub version: i64,
    pub rows: i64,
    pub f1_weighted: f64,
    pub holdout_f1: Option<f64>,
}

// ---------------------------------------------------------------- Training

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingOptions {
    /// `ngram_logreg` (default) or `tfidf_logreg`.
    #[serde(default)]
    pub model_type: Option<String>,
    /// Heartbeat timeout of the training activity in seconds (default 60): how soon a crashed worker's
    /// training is handed to another worker.
    #[serde(default)]
    pub heartbeat_timeout_secs: Option<u64>,
    /// How many challengers to train in parallel (1–5; default 1, and [`crate::RETRAIN_CHALLENGERS`] for a
    /// retraining): see [`challengers`].
    #[serde(default)]
    pub challengers: Option<u32>,
}

/// What challenger `i` of `n` trains: the requested model type and run key for the first; another seed (its
/// run key gets `-c<i>`) for the others, and the other model type for the third. The first is the run a
/// training without challengers would make, so adding challengers never loses it.
pub fn challengers(
    model_type: &str,
    run_key: Option<&str>,
    n: u32,
) -> Vec<(String, Option<String>)> {
    let other = if model_type == "tfidf_logreg" {
        "ngram_logreg"
    } else {
        "tfidf_logreg"
    };
    (0..n.clamp(1, 5))
        .map(|i| {
            if i == 0 {
                return (model_type.to_string(), run_key.map(str::to_string));
            }
            let key = match run_key {
                Some(k) if !k.is_empty() => format!("{k}-c{i}"),
                _ => format!("c{i}"),
            };
            let kind = if i == 2 { other } else { model_type };
            (kind.to_string(), Some(key))
        })
        .collect()
}

/// One challenger of a training: its run, its validation score, whether it was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChallengerOutcome {
    pub run_id: String,
    pub model_type: String,
    pub validation_f1: Option<f64>,
    pub train_seconds: f64,
    pub selected: bool,
    /// Why it was not chosen, or why it has no score (its training failed).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingInput {
    /// Dataset version to train on; default: the newest.
    #[serde(default)]
    pub dataset_id: Option<String>,
    /// Why this training runs (`weekly`, `drift 2026-11-27`, `manual`); recorded with the run.
    #[serde(default)]
    pub reason: String,
    /// Distinguishes retrainings of the same dataset version (a drift retraining of a given day); empty for
    /// the dataset's regular training, which is then idempotent by dataset version and model type.
    #[serde(default)]
    pub run_key: Option<String>,
    #[serde(default)]
    pub options: TrainingOptions,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrentDatasetInput {
    #[serde(default)]
    pub dataset_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainModelInput {
    pub dataset_id: String,
    pub model_type: String,
    pub run_key: Option<String>,
    pub reason: String,
}

/// A trained model staged in the artifact store (content-addressed), not yet registered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainModelOutput {
    pub run_id: String,
    pub artifact_key: String,
    pub artifact_sha256: String,
    pub train_seconds: f64,
    pub epochs: u32,
    /// The epoch training resumed at after a crash (None: started from scratch, or trained before).
    pub resumed_at_epoch: Option<u32>,
    /// Already registered from this run: evaluation and registration return the recorded results.
    pub registered_version: Option<i64>,
    /// Weighted F1 on the dataset's validation rows (how challengers are compared).
    #[serde(default)]
    pub validation_f1: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluateInput {
    pub run_id: String,
    pub artifact_key: String,
    pub artifact_sha256: String,
    pub train_seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluateOutput {
    pub holdout_id: String,
    pub f1_weighted: f64,
    /// Everything recorded with the version (holdout metrics, per-class F1, train_seconds).
    pub metrics: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterInput {
    pub run_id: String,
    pub dataset_id: String,
    pub artifact_key: String,
    pub artifact_sha256: String,
    pub holdout_id: String,
    pub metrics: serde_json::Value,
    /// Challenger runs not chosen: (run id, why), finished as `discarded` with the registration.
    #[serde(default)]
    pub discarded: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisterOutput {
    pub name: String,
    pub version: i64,
    pub created: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyInput {
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyOutput {
    pub promoted: bool,
    pub reason: String,
    pub champion_version: Option<i64>,
    /// The paired comparison with the champion: F1 difference and its confidence interval.
    #[serde(default)]
    pub delta_f1: Option<f64>,
    #[serde(default)]
    pub interval: Option<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotifyInput {
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotifyOutput {
    pub production_version: Option<i64>,
    /// The registry's change counter for the model after the announcement.
    pub generation: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingOutput {
    pub dataset_id: String,
    pub run_id: String,
    pub version: i64,
    pub created: bool,
    pub f1_weighted: f64,
    pub promoted: bool,
    pub decision: String,
    pub production_version: Option<i64>,
    pub train_seconds: f64,
    /// The epoch training resumed at after a worker crash, if it did.
    #[serde(default)]
    pub resumed_at_epoch: Option<u32>,
    /// The challengers trained (empty for a training of one model).
    #[serde(default)]
    pub challengers: Vec<ChallengerOutcome>,
    /// The paired comparison with the champion the decision was made from.
    #[serde(default)]
    pub delta_f1: Option<f64>,
    #[serde(default)]
    pub interval: Option<(f64, f64)>,
}

// ---------------------------------------------------------------- DailyDrift

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyDriftInput {
    /// Drift share above which retraining starts (default [`crate::RETRAIN_DRIFT_SHARE`]).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Length of the window in hours (default 24). The window ends at the run's start (to the minute when a
    /// schedule started it, so that a daily schedule's windows tile the days); a retried check sees the same one.
    #[serde(default)]
    pub first_window_hours: Option<u64>,
    /// The window's end, Unix milliseconds, for a backfill of a past window (default: the run's start).
    #[serde(default)]
    pub window_end_ms: Option<i64>,
    /// Options of the retraining, when one starts (challengers default to [`crate::RETRAIN_CHALLENGERS`]).
    #[serde(default)]
    pub training: TrainingOptions,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftCheckInput {
    /// End of the window (the workflow's time), Unix milliseconds.
    pub until_ms: i64,
    /// Start of the window, Unix milliseconds, given by the workflow. Without it (histories from before the
    /// fixed windows) the window starts where the last report ended.
    #[serde(default)]
    pub since_ms: Option<i64>,
    /// Window length when no report exists yet.
    pub first_window_hours: u64,
    pub threshold: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftCheckOutput {
    pub report_id: String,
    pub since: String,
    pub until: String,
    pub current_rows: i64,
    pub share_drifted: f64,
    pub dataset_drift: bool,
    /// The share passed the threshold: retraining is due.
    pub retrain: bool,
    /// A sentence for people (`no inferences since …`).
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyDriftOutput {
    pub check: DriftCheckOutput,
    /// Workflow id of the retraining this run started, if it started one.
    pub retraining_workflow_id: Option<String>,
    pub retraining: Option<TrainingOutput>,
    /// Why no retraining started although it was due (already started today).
    pub note: Option<String>,
    /// The batch loaded early for the retraining (`drift-YYYY-MM-DD`), when the pool had rows left.
    #[serde(default)]
    pub batch: Option<LoadBatchOutput>,
    /// The Production model scored on that batch before the retraining trained on it.
    #[serde(default)]
    pub live: Option<LiveScoreOutput>,
}
