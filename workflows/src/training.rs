//! Training: train → evaluate on the fixed holdout → register → promotion policy → tell serving.

use contracts::lifecycle::{
    ChallengerOutcome, CurrentDatasetInput, EvaluateInput, NotifyInput, PolicyInput, Progress,
    RegisterInput, TrainModelInput, TrainModelOutput, TrainingInput, TrainingOutput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::Lifecycle;
use crate::options::{compute_step, database_step, evaluation, training};
use crate::search::{self, DATASET_VERSION, DECISION, MODEL_VERSION};
use crate::set_progress as set;

/// The default model type (kept equal to `model::ModelType::DEFAULT`, which this crate cannot depend on).
pub const DEFAULT_MODEL_TYPE: &str = "ngram_logreg";
/// Default heartbeat timeout of the training activity.
pub const DEFAULT_HEARTBEAT_TIMEOUT_SECS: u64 = 60;

#[workflow]
#[derive(Default)]
pub struct Training {
    progress: Progress,
}

impl crate::HasProgress for Training {
    fn progress_mut(&mut self) -> &mut Progress {
        &mut self.progress
    }
}

#[workflow_methods]
impl Training {
    #[run(name = "Training")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: TrainingInput,
    ) -> WorkflowResult<TrainingOutput> {
        let observed = ctx.patched(crate::PATCH_OBSERVABILITY);
        let queue = ctx
            .patched(crate::PATCH_TASK_QUEUES)
            .then_some(contracts::TRAINING_TASK_QUEUE);
        let fan_out = ctx.patched(crate::PATCH_RETRAINING);
        if observed {
            search::settle_trigger(ctx);
        }
        set(ctx, "dataset", 0, "resolving the dataset version".into());
        let dataset = ctx
            .execute_activity(
                Lifecycle::current_dataset,
                CurrentDatasetInput {
                    dataset_id: input.dataset_id.clone(),
                },
                database_step(2),
            )
            .await?;
        if observed {
            ctx.upsert_search_attributes([DATASET_VERSION.value_set(dataset.dataset_id.clone())]);
        }
        let model_type = input
            .options
            .model_type
            .clone()
            .unwrap_or_else(|| DEFAULT_MODEL_TYPE.to_string());
        let heartbeat = input
            .options
            .heartbeat_timeout_secs
            .unwrap_or(DEFAULT_HEARTBEAT_TIMEOUT_SECS);
        let n = if fan_out {
            input.options.challengers.unwrap_or(1).clamp(1, 5)
        } else {
            1
        };
        let (trained, challengers) = if n == 1 {
            set(
                ctx,
                "train",
                10,
                format!("training {model_type} on {}", dataset.dataset_id),
            );
            let trained = ctx
                .execute_activity(
                    Lifecycle::train_model,
                    TrainModelInput {
                        dataset_id: dataset.dataset_id.clone(),
                        model_type,
                        run_key: input.run_key.clone(),
                        reason: input.reason.clone(),
                    },
                    training(heartbeat, queue),
                )
                .await?;
            (trained, Vec::new())
        } else {
            // Challengers in parallel (as many at once as the training queue's workers have slots), the best
            // on the validation rows goes on to the holdout and the champion.
            let specs = contracts::lifecycle::challengers(&model_type, input.run_key.as_deref(), n);
            set(
                ctx,
                "train",
                10,
                format!(
                    "training {} challengers on {}",
                    specs.len(),
                    dataset.dataset_id
                ),
            );
            let runs = specs.iter().enumerate().map(|(i, (kind, key))| {
                ctx.execute_activity(
                    Lifecycle::train_model,
                    TrainModelInput {
                        dataset_id: dataset.dataset_id.clone(),
                        model_type: kind.clone(),
                        run_key: key.clone(),
                        reason: format!(
                            "{} (challenger {} of {})",
                            input.reason,
                            i + 1,
                            specs.len()
                        ),
                    },
                    training(heartbeat, queue),
                )
            });
            let results = temporalio_sdk::workflows::join_all(runs).await;
            choose(results, &specs).map_err(|e| *e)?
        };
        let discarded: Vec<(String, String)> = challengers
            .iter()
            .filter(|c| !c.selected && c.validation_f1.is_some())
            .map(|c| (c.run_id.clone(), c.note.clone().unwrap_or_default()))
            .collect();
        set(
            ctx,
            "evaluate",
            60,
            format!(
                "run {} trained in {:.1}s",
                trained.run_id, trained.train_seconds
            ),
        );
        let evaluation = ctx
            .execute_activity(
                Lifecycle::evaluate_model,
                EvaluateInput {
                    run_id: trained.run_id.clone(),
                    artifact_key: trained.artifact_key.clone(),
                    artifact_sha256: trained.artifact_sha256.clone(),
                    train_seconds: trained.train_seconds,
                },
                evaluation(30, queue),
            )
            .await?;
        set(
            ctx,
            "register",
            75,
            format!("holdout f1_weighted {:.4}", evaluation.f1_weighted),
        );
        let registered = ctx
            .execute_activity(
                Lifecycle::register_model,
                RegisterInput {
                    run_id: trained.run_id.clone(),
                    dataset_id: dataset.dataset_id.clone(),
                    artifact_key: trained.artifact_key.clone(),
                    artifact_sha256: trained.artifact_sha256.clone(),
                    holdout_id: evaluation.holdout_id.clone(),
                    metrics: evaluation.metrics.clone(),
                    discarded,
                },
                compute_step(10),
            )
            .await?;
        if observed {
            ctx.upsert_search_attributes([MODEL_VERSION.value_set(registered.version)]);
        }
        set(
            ctx,
            "policy",
            85,
            format!("registered v{}", registered.version),
        );
        let decision = ctx
            .execute_activity(
                Lifecycle::apply_policy,
                PolicyInput {
                    version: registered.version,
                },
                database_step(2),
            )
            .await?;
        if observed {
            ctx.upsert_search_attributes([
                DECISION.value_set(search::decision_value(decision.promoted))
            ]);
        }
        set(ctx, "notify", 95, decision.reason.clone());
        let notified = ctx
            .execute_activity(
                Lifecycle::notify_serving,
                NotifyInput {
                    version: registered.version,
                },
                database_step(2),
            )
            .await?;
        set(
            ctx,
            "done",
            100,
            format!(
                "v{}: {}",
                registered.version,
                if decision.promoted {
                    "promoted to Production"
                } else {
                    "not promoted"
                }
            ),
        );
        if observed {
            search::summarise(
                ctx,
                format!(
                    "v{} on {} (holdout F1 {:.4}, {:.1} s): {}",
                    registered.version,
                    dataset.dataset_id,
                    evaluation.f1_weighted,
                    trained.train_seconds,
                    decision.reason
                ),
            );
        }
        Ok(TrainingOutput {
            dataset_id: dataset.dataset_id,
            run_id: trained.run_id,
            version: registered.version,
            created: registered.created,
            f1_weighted: evaluation.f1_weighted,
            promoted: decision.promoted,
            decision: decision.reason,
            production_version: notified.production_version,
            train_seconds: trained.train_seconds,
            resumed_at_epoch: trained.resumed_at_epoch,
            challengers,
            delta_f1: decision.delta_f1,
            interval: decision.interval,
        })
    }

    #[query]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress.clone()
    }
}

/// The challenger to go on: the best validation F1 (the first on a tie); the others' outcomes say why not.
/// Challengers whose training failed are left out; when all failed, the first failure is the workflow's.
fn choose(
    results: Vec<Result<TrainModelOutput, temporalio_sdk::ActivityExecutionError>>,
    specs: &[(String, Option<String>)],
) -> Result<(TrainModelOutput, Vec<ChallengerOutcome>), Box<temporalio_sdk::ActivityExecutionError>>
{
    let mut outcomes = Vec::with_capacity(results.len());
    let mut best: Option<(usize, TrainModelOutput)> = None;
    let mut first_error = None;
    for (i, (result, (kind, _))) in results.into_iter().zip(specs).enumerate() {
        match result {
            Ok(t) => {
                outcomes.push(ChallengerOutcome {
                    run_id: t.run_id.clone(),
                    model_type: kind.clone(),
                    validation_f1: t.validation_f1,
                    train_seconds: t.train_seconds,
                    selected: false,
                    note: None,
                });
                let score = |t: &TrainModelOutput| t.validation_f1.unwrap_or(f64::NEG_INFINITY);
                if best.as_ref().is_none_or(|(_, b)| score(&t) > score(b)) {
                    best = Some((outcomes.len() - 1, t));
                }
            }
            Err(e) => {
                outcomes.push(ChallengerOutcome {
                    run_id: String::new(),
                    model_type: kind.clone(),
                    validation_f1: None,
                    train_seconds: 0.0,
                    selected: false,
                    note: Some(format!("challenger {} failed: {e}", i + 1)),
                });
                first_error.get_or_insert(e);
            }
        }
    }
    let Some((chosen, trained)) = best else {
        return Err(Box::new(first_error.expect("at least one challenger")));
    };
    let (winner, winner_f1) = (
        trained.run_id.clone(),
        trained.validation_f1.unwrap_or(f64::NAN),
    );
    for (i, o) in outcomes.iter_mut().enumerate() {
        if i == chosen {
            o.selected = true;
        } else if o.note.is_none() {
            o.note = Some(format!(
                "not chosen: validation F1 {:.4} against {winner_f1:.4} of {winner}",
                o.validation_f1.unwrap_or(f64::NAN)
            ));
        }
    }
    Ok((trained, outcomes))
}
