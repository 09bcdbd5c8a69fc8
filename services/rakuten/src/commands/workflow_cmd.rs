//! Commands that talk to Temporal: `worker`, `schedules apply|list`, `ingest`, `train`, `drift run`.

use std::time::SystemTime;

use anyhow::Context;

use chrono::{DateTime, Utc};
use contracts::lifecycle::{
    DailyDriftInput, IngestInput, Progress, TrainingInput, TrainingOptions,
};
use serde::Serialize;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::tonic::Code;
use temporalio_client::{
    Client, RpcOptions, WorkflowGetResultOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowStartOptions,
};
use temporalio_common::{HasWorkflowDefinition, QueryDefinition};
use workflows::{DailyDrift, Training, WeeklyIngest};

use super::{BadInput, open_artifacts, open_store};
use crate::cli::TemporalArgs;
use crate::cli::{DriftRunArgs, Global, IngestArgs, SchedulesCommand, TrainArgs, WorkerArgs};
use crate::output::emit;
use crate::runtime::shutdown_signal;
use worker::{WorkerConfig, connect, run_until};

/// The commit this binary was built from (`build.rs`), recorded as the code version of the runs it trains.
pub const CODE_VERSION: Option<&str> = option_env!("RAKUTEN_GIT_SHA");

/// The worker this binary hosts: runs are recorded with its code version and `worker:<actor>`.
pub(crate) fn worker_config(
    g: &Global,
    temporal: &TemporalArgs,
    store: data::Store,
    artifacts: data::ArtifactStore,
    work_dir: std::path::PathBuf,
) -> WorkerConfig {
    let mut config = WorkerConfig::new(
        &temporal.temporal_address,
        &temporal.namespace,
        store,
        artifacts,
        work_dir,
        format!("worker:{}", g.actor()),
    );
    config.lifecycle.code_version = CODE_VERSION.map(str::to_string);
    config
}

pub async fn worker(g: &Global, args: WorkerArgs) -> anyhow::Result<()> {
    for queue in &args.task_queues {
        if !contracts::TASK_QUEUES.contains(&queue.as_str()) {
            return Err(BadInput(format!(
                "--task-queues: unknown task queue {queue:?} (the lifecycle's are {})",
                contracts::TASK_QUEUES.join(", ")
            ))
            .into());
        }
    }
    // 0 activities on rakuten-mlops is a workflow-only worker; a training queue without slots would take nothing.
    if args.max_concurrent_trainings == 0 {
        return Err(BadInput("--max-concurrent-trainings must be at least 1".into()).into());
    }
    let mut config = worker_config(
        g,
        &args.temporal,
        open_store(g).await?,
        open_artifacts(g)?,
        args.work_dir,
    );
    config.task_queues = args.task_queues.clone();
    config.task_queues.sort();
    config.task_queues.dedup();
    config.max_concurrent_activities = args.max_concurrent_activities;
    config.max_concurrent_trainings = args.max_concurrent_trainings;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let metrics = if args.no_metrics {
        None
    } else {
        let listener = tokio::net::TcpListener::bind((args.metrics_host, args.metrics_port))
            .await
            .with_context(|| {
                format!(
                    "binding the worker's metrics port {}:{}",
                    args.metrics_host, args.metrics_port
                )
            })?;
        let address = listener.local_addr()?;
        tracing::info!(metrics = %format!("http://{address}/metrics"), "worker metrics");
        let mut stop = stop_rx.clone();
        Some(tokio::spawn(worker::metrics::serve(
            listener,
            config.metrics.clone(),
            config.lifecycle.clone(),
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        )))
    };
    let result = run_until(&config, shutdown_signal()).await;
    let _ = stop_tx.send(true);
    if let Some(m) = metrics {
        let _ = m.await;
    }
    result
}

/// One schedule as `schedules apply` leaves it.
#[derive(Debug, Serialize)]
pub struct ScheduleState {
    pub schedule_id: String,
    pub cron: String,
    pub workflow_type: String,
    /// `created` or `updated`.
    pub action: String,
    pub paused: bool,
    pub next_runs: Vec<String>,
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339()
}

fn cron_spec(cron: &str) -> ScheduleSpec {
    ScheduleSpec::builder()
        .cron_strings(vec![cron.to_string()])
        .timezone_name("UTC")
        .build()
}

/// Creates or updates the lifecycle's schedules: `weekly-ingest` (Mondays 00:00 UTC) and `daily-drift` (09:00
/// UTC). Idempotent: applying twice leaves one schedule of each, with the spec and action given here.
pub async fn apply_schedules(client: &Client) -> anyhow::Result<Vec<ScheduleState>> {
    let plans = [
        (
            contracts::WEEKLY_INGEST_SCHEDULE_ID,
            contracts::WEEKLY_INGEST_CRON,
            ScheduleAction::start_workflow(
                WeeklyIngest::run,
                IngestInput::default(),
                contracts::TASK_QUEUE,
                contracts::WEEKLY_INGEST_SCHEDULE_ID,
            ),
            contracts::lifecycle::workflow::WEEKLY_INGEST,
        ),
        (
            contracts::DAILY_DRIFT_SCHEDULE_ID,
            contracts::DAILY_DRIFT_CRON,
            ScheduleAction::start_workflow(
                DailyDrift::run,
                DailyDriftInput::default(),
                contracts::TASK_QUEUE,
                contracts::DAILY_DRIFT_SCHEDULE_ID,
            ),
            contracts::lifecycle::workflow::DAILY_DRIFT,
        ),
    ];
    let mut states = Vec::new();
    for (id, cron, action, workflow_type) in plans {
        let created = client
            .create_schedule(
                id,
                CreateScheduleOptions::builder()
                    .action(action.clone())
                    .spec(cron_spec(cron))
                    .overlap_policy(ScheduleOverlapPolicy::Skip)
                    .note(format!("rakuten: {workflow_type} at `{cron}` UTC"))
                    .build(),
            )
            .await;
        let how = match created {
            Ok(_) => "created",
            Err(ScheduleError::Rpc(status)) if status.code() == Code::AlreadyExists => {
                let spec = cron_spec(cron);
                client
                    .get_schedule_handle(id)
                    .update(
                        move |u| {
                            u.set_spec(spec)
                                .set_action(action)
                                .set_overlap_policy(ScheduleOverlapPolicy::Skip);
                        },
                        RpcOptions::default(),
                    )
                    .await?;
                "updated"
            }
            Err(e) => return Err(e.into()),
        };
        let description = client
            .get_schedule_handle(id)
            .describe(Default::default())
            .await?;
        states.push(ScheduleState {
            schedule_id: id.into(),
            cron: cron.into(),
            workflow_type: workflow_type.into(),
            action: how.into(),
            paused: description.paused(),
            next_runs: description
                .future_action_times()
                .into_iter()
                .take(3)
                .map(rfc3339)
                .collect(),
        });
    }
    Ok(states)
}

pub async fn schedules(g: &Global, cmd: SchedulesCommand) -> anyhow::Result<()> {
    match cmd {
        SchedulesCommand::Apply { temporal } => {
            let client = connect(&temporal.temporal_address, &temporal.namespace).await?;
            let states = apply_schedules(&client).await?;
            emit(g.json, &states, |states| {
                states
                    .iter()
                    .map(|s| {
                        format!(
                            "{:<14} {} `{}` UTC → {}; next: {}",
                            s.schedule_id,
                            s.action,
                            s.cron,
                            s.workflow_type,
                            s.next_runs.first().map(String::as_str).unwrap_or("-")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

/// A started workflow, for `--no-wait`, or its result.
#[derive(Debug, Serialize)]
struct Started<T> {
    workflow_id: String,
    run_id: Option<String>,
    workflow_type: String,
    result: Option<T>,
}

/// Waits for `result` while showing the workflow's `progress` query (polled by `poll` twice a second) on stderr:
/// a bar on a terminal, a line per step otherwise or with `--json`.
pub(crate) async fn follow_progress<T, P, PF>(
    label: &str,
    json: bool,
    result: impl std::future::Future<Output = T>,
    mut poll: P,
) -> T
where
    P: FnMut() -> PF,
    PF: std::future::Future<Output = Option<Progress>>,
{
    let mut bar = crate::output::Progress::new(label, json);
    let mut last_step = String::new();
    tokio::pin!(result);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        tokio::select! {
            r = &mut result => {
                bar.finish();
                return r;
            }
            _ = tick.tick() => {
                if let Some(p) = poll().await {
                    if p.step != last_step {
                        bar.line(&format!("{} ({} %): {}", p.step, p.percent, p.detail));
                        last_step = p.step.clone();
                    }
                    bar.update(u64::from(p.percent), 100, &p.detail);
                }
            }
        }
    }
}

/// Starts `W` with `id` (joining a run of that id that is still going), and waits for its result unless
/// `no_wait`, showing its progress meanwhile (`progress` makes its query).
async fn start_and_maybe_wait<W, Q>(
    client: &Client,
    workflow: W,
    input: W::Input,
    id: String,
    no_wait: bool,
    json: bool,
    progress: impl Fn() -> Q,
) -> anyhow::Result<Started<W::Output>>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
    W::Output: Serialize,
    Q: QueryDefinition<Workflow = W::Run, Input = (), Output = Progress>,
{
    let workflow_type = workflow.name().to_string();
    let options = WorkflowStartOptions::new(contracts::TASK_QUEUE, id.clone())
        .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .build();
    let handle = client.start_workflow(workflow, input, options).await?;
    let run_id = handle.run_id().map(str::to_string);
    let result = if no_wait {
        None
    } else {
        let label = workflow_type.clone();
        Some(
            follow_progress(
                &label,
                json,
                handle.get_result(WorkflowGetResultOptions::default()),
                || async {
                    handle
                        .query(progress(), (), WorkflowQueryOptions::default())
                        .await
                        .ok()
                },
            )
            .await?,
        )
    };
    Ok(Started {
        workflow_id: id,
        run_id,
        workflow_type,
        result,
    })
}

fn training_options(model_type: Option<String>, challengers: Option<u32>) -> TrainingOptions {
    TrainingOptions {
        model_type,
        challengers,
        ..Default::default()
    }
}

fn now_unix() -> i64 {
    Utc::now().timestamp()
}

pub async fn ingest(g: &Global, args: IngestArgs) -> anyhow::Result<()> {
    let client = temporal_client(&args.temporal).await?;
    let id = match &args.batch {
        Some(batch) => format!("weekly-ingest-{batch}"),
        None => {
            let (year, week) = contracts::calendar::iso_week(now_unix());
            contracts::weekly_ingest_workflow_id(year, week)
        }
    };
    let input = IngestInput {
        batch: args.batch,
        percent: args.percent,
        initial_percent: args.initial_percent,
        training: training_options(args.model_type, None),
        live_f1_margin: args.live_f1_margin,
    };
    let started = start_and_maybe_wait(
        &client,
        WeeklyIngest::run,
        input,
        id,
        args.no_wait,
        g.json,
        || WeeklyIngest::progress,
    )
    .await?;
    emit(g.json, &started, |s| match &s.result {
        None => format!("started {} ({})", s.workflow_id, s.workflow_type),
        Some(r) => {
            let mut line = format!(
                "{}: batch {} {} ({} rows, {:.1} % loaded)",
                s.workflow_id, r.load.batch, r.load.status, r.load.rows, r.load.percent_loaded
            );
            if let Some(why) = &r.stopped {
                line.push_str(&format!("; stopped: {why}"));
            }
            if let Some(d) = &r.dataset {
                line.push_str(&format!("\ndataset {}", d.dataset_id));
            }
            if let Some(t) = &r.training {
                line.push_str(&format!("\n{}", human_training(t)));
            }
            line
        }
    })
}

fn human_training(t: &contracts::lifecycle::TrainingOutput) -> String {
    let mut line = format!(
        "run {}: v{} holdout f1_weighted {:.4}, {} ({})",
        t.run_id,
        t.version,
        t.f1_weighted,
        if t.promoted {
            "promoted"
        } else {
            "not promoted"
        },
        t.decision
    );
    for c in &t.challengers {
        line.push_str(&format!(
            "\n  {} challenger {} ({}): validation f1_weighted {}{}",
            if c.selected { "*" } else { " " },
            c.run_id,
            c.model_type,
            c.validation_f1.map_or("-".into(), |f| format!("{f:.4}")),
            c.note
                .as_deref()
                .map_or(String::new(), |n| format!("; {n}"))
        ));
    }
    line
}

pub async fn train(g: &Global, args: TrainArgs) -> anyhow::Result<()> {
    let client = temporal_client(&args.temporal).await?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let id = format!("training-manual-{stamp}");
    let run_key = match (args.reuse, args.run_key) {
        (true, _) => None,
        (false, Some(key)) => Some(key),
        (false, None) => Some(format!("manual-{stamp}")),
    };
    let input = TrainingInput {
        dataset_id: args.dataset,
        reason: format!("manual: {}", g.actor()),
        run_key,
        options: training_options(args.model_type, args.challengers),
    };
    let started = start_and_maybe_wait(
        &client,
        Training::run,
        input,
        id,
        args.no_wait,
        g.json,
        || Training::progress,
    )
    .await?;
    emit(g.json, &started, |s| match &s.result {
        None => format!("started {} ({})", s.workflow_id, s.workflow_type),
        Some(t) => format!("{}: {}", s.workflow_id, human_training(t)),
    })
}

pub async fn drift_run(g: &Global, args: DriftRunArgs) -> anyhow::Result<()> {
    if let Some(t) = args.threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(BadInput(format!("--threshold must be in [0, 1], got {t}")).into());
    }
    let client = temporal_client(&args.temporal).await?;
    let id = contracts::daily_drift_workflow_id(&contracts::calendar::utc_date(now_unix()));
    let input = DailyDriftInput {
        threshold: args.threshold,
        first_window_hours: None,
        window_end_ms: None,
        training: training_options(args.model_type, args.challengers),
    };
    let started = start_and_maybe_wait(
        &client,
        DailyDrift::run,
        input,
        id,
        args.no_wait,
        g.json,
        || DailyDrift::progress,
    )
    .await?;
    emit(g.json, &started, |s| match &s.result {
        None => format!("started {} ({})", s.workflow_id, s.workflow_type),
        Some(r) => {
            let mut line = format!("{}: {}", s.workflow_id, r.check.message);
            if let Some(id) = &r.retraining_workflow_id {
                line.push_str(&format!("\nretraining {id}"));
            }
            if let Some(t) = &r.retraining {
                line.push_str(&format!(": {}", human_training(t)));
            }
            if let Some(note) = &r.note {
                line.push_str(&format!("\n{note}"));
            }
            line
        }
    })
}

async fn temporal_client(t: &TemporalArgs) -> anyhow::Result<Client> {
    connect(&t.temporal_address, &t.namespace).await
}
