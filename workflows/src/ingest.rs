//! WeeklyIngest: the weekly batch, its dataset version, and a Training child workflow.

use contracts::lifecycle::{
    BuildDatasetInput, IngestInput, IngestOutput, LoadBatchInput, Progress, ScoreBatchInput,
    TrainingInput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ChildWorkflowOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::Lifecycle;
use crate::options::{compute_step, database_step};
use crate::search::{self, DATASET_VERSION, DECISION, MODEL_VERSION};
use crate::set_progress as set;
use crate::training::Training;

#[workflow]
#[derive(Default)]
pub struct WeeklyIngest {
    progress: Progress,
}

const STEPS: u32 = 3;

#[workflow_methods]
impl WeeklyIngest {
    #[run(name = "WeeklyIngest")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: IngestInput,
    ) -> WorkflowResult<IngestOutput> {
        let now = crate::workflow_unix_millis(ctx.workflow_time()).div_euclid(1000);
        let batch = input.batch.clone().unwrap_or_else(|| {
            let (year, week) = contracts::calendar::iso_week(now);
            contracts::weekly_batch_name(year, week)
        });
        let observed = ctx.patched(crate::PATCH_OBSERVABILITY);
        let retrains = ctx.patched(crate::PATCH_RETRAINING);
        let trigger = if observed {
            search::settle_trigger(ctx)
        } else {
            search::trigger::MANUAL.to_string()
        };
        set(ctx, "load", 0, format!("loading batch {batch}"));
        let load = ctx
            .execute_activity(
                Lifecycle::load_batch,
                LoadBatchInput {
                    batch,
                    percent: input.percent.unwrap_or(contracts::WEEKLY_LOAD_PERCENT),
                    initial_percent: input
                        .initial_percent
                        .unwrap_or(contracts::INITIAL_LOAD_PERCENT),
                },
                database_step(10),
            )
            .await?;
        if load.pool_exhausted() {
            let why = format!(
                "pool exhausted: {:.1} % loaded, nothing left to load",
                load.percent_loaded
            );
            set(ctx, "done", 100, why.clone());
            if observed {
                search::summarise(ctx, format!("{}: {why}", load.batch));
            }
            return Ok(IngestOutput {
                load,
                live: None,
                dataset: None,
                training: None,
                stopped: Some(why),
                retrain_trigger: None,
            });
        }
        // Before any model trains on the batch: how the Production model does on rows it has never seen.
        // Histories from before this step replay without it (the patch marker).
        let live = if observed {
            ctx.execute_activity(
                Lifecycle::score_batch,
                ScoreBatchInput {
                    batch: load.batch.clone(),
                },
                compute_step(10),
            )
            .await?
        } else {
            None
        };
        // Decay seen on labels the model never saw: this week's training becomes a retraining with challengers,
        // judged against the champion like a drift retraining.
        let margin = input.live_f1_margin.unwrap_or(contracts::LIVE_F1_MARGIN);
        let retrain_trigger = live
            .as_ref()
            .filter(|_| retrains)
            .and_then(|l| {
                let holdout = l.holdout_f1?;
                (l.f1_weighted < holdout - margin).then(|| {
                    format!(
                        "live F1 {:.4} of v{} on {} is {:.4} below its holdout F1 {holdout:.4} (margin {margin:.2})",
                        l.f1_weighted,
                        l.version,
                        l.batch,
                        holdout - l.f1_weighted
                    )
                })
            });
        let mut training_options = input.training.clone();
        if retrain_trigger.is_some() {
            training_options.challengers = Some(
                training_options
                    .challengers
                    .unwrap_or(contracts::RETRAIN_CHALLENGERS),
            );
        }
        set(
            ctx,
            "dataset",
            100 / STEPS,
            format!(
                "batch {} {}: {:.1} % loaded",
                load.batch, load.status, load.percent_loaded
            ),
        );
        let dataset = ctx
            .execute_activity(
                Lifecycle::build_dataset,
                BuildDatasetInput::default(),
                database_step(30),
            )
            .await?;
        if observed {
            ctx.upsert_search_attributes([DATASET_VERSION.value_set(dataset.dataset_id.clone())]);
        }
        set(
            ctx,
            "training",
            200 / STEPS,
            format!("dataset {}: training", dataset.dataset_id),
        );
        // One Training per dataset version and model type: a second run of the same week trains nothing new
        // (the child finds the version registered from the same run and returns it).
        let child_id = format!("training-{}", dataset.dataset_id);
        let started = ctx
            .start_child_workflow(
                Training::run,
                TrainingInput {
                    dataset_id: Some(dataset.dataset_id.clone()),
                    reason: match &retrain_trigger {
                        Some(why) => format!("weekly ingest of {}: {why}", load.batch),
                        None => format!("weekly ingest of {}", load.batch),
                    },
                    run_key: None,
                    options: training_options,
                },
                if observed {
                    let child_trigger = if retrain_trigger.is_some() {
                        search::trigger::LIVE_F1
                    } else {
                        trigger.as_str()
                    };
                    ChildWorkflowOptions::builder()
                        .workflow_id(child_id)
                        .search_attributes(search::for_child(child_trigger))
                        .build()
                } else {
                    ChildWorkflowOptions::workflow_id(child_id)
                },
            )
            .await?;
        let training = started.result().await?;
        if observed {
            ctx.upsert_search_attributes([
                MODEL_VERSION.value_set(training.version),
                DECISION.value_set(search::decision_value(training.promoted)),
            ]);
            let live_text = live.as_ref().map_or(String::new(), |l| {
                format!(", live F1 of v{} {:.4}", l.version, l.f1_weighted)
            });
            search::summarise(
                ctx,
                format!(
                    "{} {} ({:.1} % loaded{live_text}); dataset {}; v{} {} (holdout F1 {:.4})",
                    load.batch,
                    load.status,
                    load.percent_loaded,
                    dataset.dataset_id,
                    training.version,
                    search::decision_value(training.promoted),
                    training.f1_weighted
                ),
            );
        }
        set(
            ctx,
            "done",
            100,
            format!(
                "v{} {}",
                training.version,
                if training.promoted {
                    "promoted"
                } else {
                    "not promoted"
                }
            ),
        );
        Ok(IngestOutput {
            load,
            live,
            dataset: Some(dataset),
            training: Some(training),
            stopped: None,
            retrain_trigger,
        })
    }

    #[query]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress.clone()
    }
}

impl crate::HasProgress for WeeklyIngest {
    fn progress_mut(&mut self) -> &mut Progress {
        &mut self.progress
    }
}
