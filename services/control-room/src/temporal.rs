//! Temporal as the control room sees it: a client connected on first use (Temporal may start after us),
//! recent workflow runs, task-queue pollers, schedules, and starting the lifecycle's workflows.

use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use contracts::lifecycle::{DailyDriftInput, IngestInput, TrainingInput};
use futures::StreamExt;
use temporalio_client::grpc::WorkflowService;
use temporalio_client::schedules::{
    PauseScheduleOptions, ScheduleOverlapPolicy, TriggerScheduleOptions, UnpauseScheduleOptions,
};
use temporalio_client::{
    Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowListOptions,
    WorkflowStartOptions,
};
use temporalio_common::protos::temporal::api::enums::v1::{TaskQueueKind, TaskQueueType};
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::workflowservice::v1::DescribeTaskQueueRequest;
use tokio::sync::Mutex;
use workflows::{DailyDrift, Training, WeeklyIngest};

const CALL_TIMEOUT: Duration = Duration::from_secs(3);

pub struct Temporal {
    address: String,
    pub namespace: String,
    client: Mutex<Slot>,
}

enum Slot {
    Empty,
    Connected(Client),
    Failed(Instant, String),
}

const RETRY_AFTER: Duration = Duration::from_secs(5);

/// One workflow run from Temporal's visibility.
#[derive(Clone, Debug)]
pub struct WorkflowRun {
    pub workflow_id: String,
    pub run_id: String,
    pub workflow_type: String,
    pub status: String,
    pub started: Option<DateTime<Utc>>,
    pub closed: Option<DateTime<Utc>>,
}

/// A schedule's state.
#[derive(Clone, Debug)]
pub struct ScheduleInfo {
    pub paused: bool,
    pub note: Option<String>,
    pub next_runs: Vec<DateTime<Utc>>,
    pub recent: usize,
}

fn utc(t: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(t)
}

async fn timed<T>(f: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::time::timeout(CALL_TIMEOUT, f)
        .await
        .map_err(|_| anyhow::anyhow!("Temporal did not answer within {CALL_TIMEOUT:?}"))?
}

impl Temporal {
    pub fn new(address: &str, namespace: &str) -> Temporal {
        Temporal {
            address: address.into(),
            namespace: namespace.into(),
            client: Mutex::new(Slot::Empty),
        }
    }

    /// The client, connecting on first use; after a failed connection, pages fail fast for [`RETRY_AFTER`]
    /// instead of each waiting for Temporal again.
    pub async fn client(&self) -> anyhow::Result<Client> {
        let mut slot = self.client.lock().await;
        match &*slot {
            Slot::Connected(c) => return Ok(c.clone()),
            Slot::Failed(at, why) if at.elapsed() < RETRY_AFTER => anyhow::bail!("{why}"),
            _ => {}
        }
        match timed(worker::connect(&self.address, &self.namespace)).await {
            Ok(c) => {
                *slot = Slot::Connected(c.clone());
                Ok(c)
            }
            Err(e) => {
                let why = format!("{e:#}");
                *slot = Slot::Failed(Instant::now(), why.clone());
                anyhow::bail!("{why}")
            }
        }
    }

    /// The newest runs of `workflow_type` (all types when `None`), newest first.
    pub async fn recent_runs(
        &self,
        workflow_type: Option<&str>,
        limit: usize,
    ) -> anyhow::Result<Vec<WorkflowRun>> {
        let client = self.client().await?;
        let query = match workflow_type {
            Some(t) => format!("WorkflowType = '{t}'"),
            None => String::new(),
        };
        timed(async move {
            let mut stream =
                client.list_workflows(query, WorkflowListOptions::builder().limit(limit).build());
            let mut out = Vec::new();
            while let Some(w) = stream.next().await {
                let w = w?;
                out.push(WorkflowRun {
                    workflow_id: w.id().to_string(),
                    run_id: w.run_id().to_string(),
                    workflow_type: w.workflow_type().to_string(),
                    status: format!("{:?}", w.status()),
                    started: w.start_time().map(utc),
                    closed: w.close_time().map(utc),
                });
            }
            Ok(out)
        })
        .await
    }

    /// Pollers of a task queue: (workflow pollers, activity pollers).
    pub async fn pollers(&self, queue: &str) -> anyhow::Result<(usize, usize)> {
        let client = self.client().await?;
        let namespace = self.namespace.clone();
        let queue = queue.to_string();
        timed(async move {
            let mut counts = [0usize; 2];
            for (i, kind) in [TaskQueueType::Workflow, TaskQueueType::Activity]
                .into_iter()
                .enumerate()
            {
                let request = DescribeTaskQueueRequest {
                    namespace: namespace.clone(),
                    task_queue: Some(TaskQueue {
                        name: queue.clone(),
                        kind: TaskQueueKind::Normal as i32,
                        normal_name: String::new(),
                    }),
                    task_queue_type: kind as i32,
                    ..Default::default()
                };
                let answer = WorkflowService::describe_task_queue(
                    &mut client.clone(),
                    tonic_request(request),
                )
                .await?;
                counts[i] = answer.into_inner().pollers.len();
            }
            Ok((counts[0], counts[1]))
        })
        .await
    }

    pub async fn schedule(&self, id: &str) -> anyhow::Result<ScheduleInfo> {
        let client = self.client().await?;
        let id = id.to_string();
        timed(async move {
            let d = client
                .get_schedule_handle(&id)
                .describe(Default::default())
                .await?;
            Ok(ScheduleInfo {
                paused: d.paused(),
                note: d.note().map(str::to_string),
                next_runs: d
                    .future_action_times()
                    .into_iter()
                    .take(3)
                    .map(utc)
                    .collect(),
                recent: d.recent_actions().len(),
            })
        })
        .await
    }

    /// `pause`, `resume` or `trigger` a schedule.
    pub async fn schedule_action(&self, id: &str, what: &str, note: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        let handle = client.get_schedule_handle(id);
        timed(async move {
            match what {
                "pause" => {
                    handle
                        .pause(Some(note), PauseScheduleOptions::default())
                        .await?
                }
                "resume" => {
                    handle
                        .unpause(Some(note), UnpauseScheduleOptions::default())
                        .await?
                }
                "trigger" => {
                    handle
                        .trigger(
                            ScheduleOverlapPolicy::Skip,
                            TriggerScheduleOptions::default(),
                        )
                        .await?
                }
                other => anyhow::bail!("unknown schedule action {other:?}"),
            }
            Ok(())
        })
        .await
    }

    fn options(id: &str) -> WorkflowStartOptions {
        WorkflowStartOptions::new(contracts::TASK_QUEUE, id.to_string())
            .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .build()
    }

    pub async fn start_training(&self, id: &str, input: TrainingInput) -> anyhow::Result<String> {
        let client = self.client().await?;
        let h = timed(async {
            Ok(client
                .start_workflow(Training::run, input, Self::options(id))
                .await?)
        })
        .await?;
        Ok(h.run_id().unwrap_or_default().to_string())
    }

    pub async fn start_ingest(&self, id: &str, input: IngestInput) -> anyhow::Result<String> {
        let client = self.client().await?;
        let h = timed(async {
            Ok(client
                .start_workflow(WeeklyIngest::run, input, Self::options(id))
                .await?)
        })
        .await?;
        Ok(h.run_id().unwrap_or_default().to_string())
    }

    pub async fn start_drift(&self, id: &str, input: DailyDriftInput) -> anyhow::Result<String> {
        let client = self.client().await?;
        let h = timed(async {
            Ok(client
                .start_workflow(DailyDrift::run, input, Self::options(id))
                .await?)
        })
        .await?;
        Ok(h.run_id().unwrap_or_default().to_string())
    }
}

fn tonic_request<T>(t: T) -> temporalio_client::tonic::Request<T> {
    temporalio_client::tonic::Request::new(t)
}
