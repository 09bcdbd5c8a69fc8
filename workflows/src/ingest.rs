//! WeeklyIngest: the weekly batch, its dataset version, and a Training child workflow.

use contracts::lifecycle::{
    BuildDatasetInput, IngestInput, IngestOutput, LoadBatchInput, Progress, TrainingInput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ChildWorkflowOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::Lifecycle;
use crate::options::database_step;
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
            return Ok(IngestOutput {
                load,
                dataset: None,
                training: None,
                stopped: Some(why),
            });
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
                    reason: format!("weekly ingest of {}", load.batch),
                    run_key: None,
                    options: input.training.clone(),
                },
                ChildWorkflowOptions::workflow_id(child_id),
            )
            .await?;
        let training = started.result().await?;
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
            dataset: Some(dataset),
            training: Some(training),
            stopped: None,
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
