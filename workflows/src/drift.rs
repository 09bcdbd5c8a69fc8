//! DailyDrift: the drift check since the last one; one retraining per day when drift passes the threshold.

use contracts::lifecycle::{
    BuildDatasetInput, DailyDriftInput, DailyDriftOutput, DriftCheckInput, LoadBatchInput,
    Progress, ScoreBatchInput, TrainingInput,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{
    ChildWorkflowOptions, ParentClosePolicy, WorkflowContext, WorkflowContextView,
    WorkflowIdReusePolicy, WorkflowResult,
};

use crate::activities::Lifecycle;
use crate::options::{compute_step, database_step};
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
        let fixed = ctx.patched(crate::PATCH_RETRAINING);
        let trigger = if observed {
            search::settle_trigger(ctx)
        } else {
            search::trigger::MANUAL.to_string()
        };
        set(ctx, "check", 0, "drift check of the inference log".into());
        let hours = input.first_window_hours.unwrap_or(24);
        // The window is the run's own, `hours` long: it ends where the input says (a backfill), else at the start
        // of the run — to the minute for a scheduled run, so that a schedule firing on the minute tiles the days.
        // A retry sees the same window; manual checks move nothing.
        let (until_ms, since_ms) = if fixed {
            let start = if trigger == search::trigger::SCHEDULE {
                now_ms - now_ms.rem_euclid(60_000)
            } else {
                now_ms
            };
            let until = input.window_end_ms.unwrap_or(start);
            (until, Some(until - hours as i64 * 3_600_000))
        } else {
            (now_ms, None)
        };
        let check = ctx
            .execute_activity(
                Lifecycle::drift_check,
                DriftCheckInput {
                    until_ms,
                    since_ms,
                    first_window_hours: hours,
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
                batch: None,
                live: None,
            });
        }
        // One retraining per day: the id names the day and may not be reused, so a second check the same day
        // (a manual run after the scheduled one) cannot start another.
        let date = contracts::calendar::utc_date(now);
        let id = contracts::drift_retraining_workflow_id(&date);
        // Fresh labelled data when the pool has rows left: the next batch, loaded early under the day's drift
        // batch name (once a day however often this runs), scored by the Production model first.
        let (mut batch, mut live, mut dataset_id) = (None, None, None);
        let mut training = input.training.clone();
        if fixed {
            training.challengers = Some(
                training
                    .challengers
                    .unwrap_or(contracts::RETRAIN_CHALLENGERS),
            );
            set(
                ctx,
                "load",
                20,
                format!("{}; loading a drift batch", check.message),
            );
            let load = ctx
                .execute_activity(
                    Lifecycle::load_batch,
                    LoadBatchInput {
                        batch: contracts::drift_batch_name(&date),
                        percent: contracts::WEEKLY_LOAD_PERCENT,
                        initial_percent: contracts::INITIAL_LOAD_PERCENT,
                    },
                    database_step(10),
                )
                .await?;
            if load.status == "loaded" || load.status == "already_applied" {
                live = ctx
                    .execute_activity(
                        Lifecycle::score_batch,
                        ScoreBatchInput {
                            batch: load.batch.clone(),
                        },
                        compute_step(10),
                    )
                    .await?;
                let dataset = ctx
                    .execute_activity(
                        Lifecycle::build_dataset,
                        BuildDatasetInput::default(),
                        database_step(30),
                    )
                    .await?;
                dataset_id = Some(dataset.dataset_id);
            }
            batch = Some(load);
        }
        let fresh = match &batch {
            Some(b) if dataset_id.is_some() => {
                format!("; batch {} {} ({} rows)", b.batch, b.status, b.rows)
            }
            Some(b) => format!(
                "; no fresh data ({}): retraining on the newest dataset",
                b.status
            ),
            None => String::new(),
        };
        set(
            ctx,
            "retrain",
            50,
            format!("{}{fresh}; starting {id}", check.message),
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
                    dataset_id: dataset_id.clone(),
                    reason: format!("drift {date}: {}{fresh}", check.message),
                    run_key: Some(format!("drift-{date}")),
                    options: training,
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
                    batch,
                    live,
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
                    "{}{fresh}; retrained v{}: {}",
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
            batch,
            live,
        })
    }

    #[query]
    pub fn progress(&self, _ctx: &WorkflowContextView) -> Progress {
        self.progress.clone()
    }
}
