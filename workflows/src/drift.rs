//! DailyDrift: the drift check since the last one; one retraining per day when drift passes the threshold.

use contracts::lifecycle::{
    DailyDriftInput, DailyDriftOutput, DriftCheckInput, Progress, TrainingInput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, ParentClosePolicy, WorkflowContext, WorkflowContextView,
    WorkflowIdReusePolicy, WorkflowResult,
};

use crate::activities::Lifecycle;
use crate::options::compute_step;
use crate::search::{self, DECISION, MODEL_VERSION};
use crate::set_progress as set;
use crate::training::Training;

#[workflow]
#[derive(Default)]
pub struct DailyDrift {
    progress: Progress,
}

impl crate::HasProgress for DailyDrift {
    fn progress_mut(&mut self) -> &mut Progress {
        &mut self.progress
    }
}

#[workflow_methods]
impl DailyDrift {
    #[run(name = "DailyDrift")]
    pub async fn run(
        ctx: &mut WorkflowContext<Self>,
        input: DailyDriftInput,
    ) -> WorkflowResult<DailyDriftOutput> {
        let now_ms = crate::workflow_unix_millis(ctx.workflow_time());
        let now = now_ms.div_euclid(1000);
        let observed = ctx.patched(crate::PATCH_OBSERVABILITY);
        if observed {
            search::settle_trigger(ctx);
        }
        set(ctx, "check", 0, "drift check of the inference log".into());
        let check = ctx
            .execute_activity(
                Lifecycle::drift_check,
                DriftCheckInput {
                    until_ms: now_ms,
                    first_window_hours: input.first_window_hours.unwrap_or(24),
                    threshold: input.threshold.unwrap_or(contracts::RETRAIN_DRIFT_SHARE),
                },
                compute_step(30),
            )
            .await?;
        if !check.retrain {
            set(ctx, "done", 100, check.message.clone());
            if observed {
                search::summarise(ctx, check.message.clone());
            }
            return Ok(DailyDriftOutput {
                check,
                retraining_workflow_id: None,
                retraining: None,
                note: None,
            });
        }
        // One retraining per day: the id names the day and may not be reused, so a second check the same day
        // (a manual run after the scheduled one) cannot start another.
        let date = contracts::calendar::utc_date(now);
        let id = contracts::drift_retraining_workflow_id(&date);
        set(
            ctx,
            "retrain",
            50,
            format!("{}; starting {id}", check.message),
        );
        let options = ChildWorkflowOptions::builder()
            .workflow_id(id.clone())
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .parent_close_policy(ParentClosePolicy::Abandon)
            .maybe_search_attributes(observed.then(|| search::for_child(search::trigger::DRIFT)))
            .build();
        let started = ctx
            .start_child_workflow(
                Training::run,
                TrainingInput {
                    dataset_id: None,
                    reason: format!("drift {date}: {}", check.message),
                    run_key: Some(format!("drift-{date}")),
                    options: input.training.clone(),
                },
                options,
            )
            .await;
        let started = match started {
            Ok(started) => started,
            Err(e) => {
                let note = format!("retraining {id} not started: {e}");
                set(ctx, "done", 100, note.clone());
                if observed {
                    search::summarise(ctx, format!("{}; {note}", check.message));
                }
                return Ok(DailyDriftOutput {
                    check,
                    retraining_workflow_id: None,
                    retraining: None,
                    note: Some(note),
                });
            }
        };
        let retraining = started.result().await?;
        if observed {
            ctx.upsert_search_attributes([
                MODEL_VERSION.value_set(retraining.version),
                DECISION.value_set(search::decision_value(retraining.promoted)),
            ]);
            search::summarise(
                ctx,
                format!(
                    "{}; retrained v{}: {}",
                    check.message, retraining.version, retraining.decision
                ),
            );
        }
        set(
            ctx,
            "done",
            100,
            format!(
                "retrained: v{} ({})",
                retraining.version, retraining.decision
            ),
        );
        Ok(DailyDriftOutput {
            check,
            retraining_workflow_id: Some(id),
            retraining: Some(retraining),
            note: None,
        })
    }

    #[query]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress.clone()
    }
}
