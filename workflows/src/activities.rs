//! The activities the workflows call, declared by contract only (type name, input, output). The worker
//! implements them under the same names (`#[activity(definition = …)]`), over the capability crates.

#![allow(unused_variables)]

use contracts::lifecycle::*;
use temporalio_macros::activity_definitions;
use temporalio_sdk::activities::ActivityError;

pub struct Lifecycle;

#[activity_definitions]
impl Lifecycle {
    /// Loads this week's batch (or the initial share when nothing is loaded). Idempotent by batch name.
    #[activity(name = activity::LOAD_BATCH)]
    pub fn load_batch(input: LoadBatchInput) -> Result<LoadBatchOutput, ActivityError> {
        unimplemented!()
    }

    /// Builds (or finds) the dataset version of the loaded rows. Idempotent: same rows, same version.
    #[activity(name = activity::BUILD_DATASET)]
    pub fn build_dataset(input: BuildDatasetInput) -> Result<DatasetOutput, ActivityError> {
        unimplemented!()
    }

    /// Resolves the dataset version to train on (the given one, checked, or the newest).
    #[activity(name = activity::CURRENT_DATASET)]
    pub fn current_dataset(input: CurrentDatasetInput) -> Result<DatasetOutput, ActivityError> {
        unimplemented!()
    }

    /// Trains, heartbeating its progress; resumes from its checkpoint after a crash. Stages the artifact.
    #[activity(name = activity::TRAIN_MODEL)]
    pub fn train_model(input: TrainModelInput) -> Result<TrainModelOutput, ActivityError> {
        unimplemented!()
    }

    /// Scores the staged artifact on the fixed holdout.
    #[activity(name = activity::EVALUATE_MODEL)]
    pub fn evaluate_model(input: EvaluateInput) -> Result<EvaluateOutput, ActivityError> {
        unimplemented!()
    }

    /// Registers the staged artifact as a model version. Idempotent by artifact hash.
    #[activity(name = activity::REGISTER_MODEL)]
    pub fn register_model(input: RegisterInput) -> Result<RegisterOutput, ActivityError> {
        unimplemented!()
    }

    /// Applies the promotion policy (once per version: a retry returns the recorded decision).
    #[activity(name = activity::APPLY_POLICY)]
    pub fn apply_policy(input: PolicyInput) -> Result<PolicyOutput, ActivityError> {
        unimplemented!()
    }

    /// Announces the Production version to the inference services (registry change notification).
    #[activity(name = activity::NOTIFY_SERVING)]
    pub fn notify_serving(input: NotifyInput) -> Result<NotifyOutput, ActivityError> {
        unimplemented!()
    }

    /// Drift of the inference log since the last check against the training data; stores the report.
    #[activity(name = activity::DRIFT_CHECK)]
    pub fn drift_check(input: DriftCheckInput) -> Result<DriftCheckOutput, ActivityError> {
        unimplemented!()
    }

    /// The Production model scored on a loaded batch's labelled rows before training on them (live F1);
    /// recorded once per batch and version.
    #[activity(name = activity::SCORE_BATCH)]
    pub fn score_batch(input: ScoreBatchInput) -> Result<Option<LiveScoreOutput>, ActivityError> {
        unimplemented!()
    }
}
