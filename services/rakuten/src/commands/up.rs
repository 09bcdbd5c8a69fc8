//! `rakuten up`: the system on one machine. Migrates, seeds the pool (synthetic data unless files are given),
//! starts (or reuses) a Temporal dev server, runs the worker, applies the schedules, runs the first
//! WeeklyIngest (initial 40 %, dataset version, Training: train, evaluate, register, promote), prints every
//! address, then serves until Ctrl-C (`--once`: stops after the first ingest).

use anyhow::Context;
use data::{ImportOptions, SourceFiles};
use serde::Serialize;

use super::data_cmd::{human_status, source_files};
use super::workflow_cmd::{ScheduleState, apply_schedules};
use super::{open_artifacts, open_store, redact};
use crate::cli::{Global, UpArgs};
use crate::devserver::{DevServer, DevServerOptions, listening};
use crate::output::emit;
use crate::runtime::shutdown_signal;
use worker::{WorkerThread, connect_when_ready};

#[derive(Serialize)]
struct TemporalReport {
    address: String,
    namespace: String,
    ui: Option<String>,
    /// True when `up` started the dev server (it stops it on exit); false when one was already running.
    started_here: bool,
    db_file: Option<String>,
    /// The `temporal` CLI that started the dev server, and where it came from (env, path, tools, installed).
    cli: Option<crate::tools::Cli>,
    task_queue: String,
}

#[derive(Serialize)]
struct ServingReport {
    rest: String,
    grpc: String,
    health: String,
    metrics: String,
    /// The control room's address.
    control_room: String,
}

/// This week's WeeklyIngest: started now, or found completed (`started: false`, the same run as before).
#[derive(Serialize)]
struct IngestRun {
    workflow_id: String,
    run_id: Option<String>,
    started: bool,
}

#[derive(Serialize)]
struct UpReport {
    database_url: String,
    artifacts: String,
    seeded_from: Option<String>,
    import: Option<data::ImportReport>,
    temporal: TemporalReport,
    schedules: Vec<ScheduleState>,
    /// The inference service (it loads the Production version when one exists, and each new one).
    serving: ServingReport,
    /// The first WeeklyIngest (skipped with `--no-ingest`).
    ingest: Option<contracts::lifecycle::IngestOutput>,
    ingest_workflow: Option<IngestRun>,
    production: Option<registry::ModelVersion>,
    status: data::DataStatus,
}

pub async fn run(g: &Global, args: UpArgs) -> anyhow::Result<()> {
    let store = open_store(g).await?;
    let artifacts = open_artifacts(g)?;
    let actor = format!("up:{}", g.actor());
    let state = state_dir(&g.database_url);

    let mut seeded_from = None;
    let mut import = None;
    if store.status().await?.import.is_none() {
        let files = match source_files(args.x_train, args.y_train, args.csv)? {
            Some(files) => files,
            None => {
                let dir = state.join("seed");
                tracing::info!(rows = args.seed_rows, dir = %dir.display(), "no source pool: generating synthetic data");
                let rows = data::generate::generate(args.seed_rows, data::plan::DEFAULT_SEED);
                let (x_train, y_train) = data::generate::write_challenge_files(&dir, &rows)?;
                SourceFiles::Challenge { x_train, y_train }
            }
        };
        seeded_from = Some(
            files
                .paths()
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" + "),
        );
        import = Some(
            store
                .import(
                    &files,
                    &ImportOptions {
                        actor: actor.clone(),
                        ..Default::default()
                    },
                )
                .await?,
        );
    }

    // Temporal: the one at --temporal-address, or a dev server of our own on its port.
    let address = args.temporal.temporal_address.clone();
    let namespace = args.temporal.namespace.clone();
    let mut dev_server = None;
    let mut cli = None;
    if !listening(&address) {
        let port = address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or_else(|| {
                super::BadInput(format!("--temporal-address {address:?} is not host:port"))
            })?;
        let db_file = state.join("temporal.db");
        let temporal = crate::tools::temporal_cli(&state)?;
        tracing::info!(%address, db = %db_file.display(), cli = %temporal.path.display(), "starting a Temporal dev server");
        dev_server = Some(
            DevServer::start(&DevServerOptions {
                db_file,
                port,
                ui_port: Some(args.temporal_ui_port),
                log_file: Some(state.join("temporal.log")),
                temporal_cli: Some(temporal.path.clone()),
            })
            .await?,
        );
        cli = Some(temporal);
    }
    let client =
        connect_when_ready(&address, &namespace, std::time::Duration::from_secs(30)).await?;
    let worker_config = super::workflow_cmd::worker_config(
        g,
        &args.temporal,
        store.clone(),
        artifacts.clone(),
        state.join("work"),
    );
    // One /metrics for the process: the inference service's, then the worker's (which carry the last drift check).
    let worker_metrics: inference::core::ExtraMetrics = {
        let (metrics, lifecycle) = (
            worker_config.metrics.clone(),
            worker_config.lifecycle.clone(),
        );
        inference::core::ExtraMetrics(std::sync::Arc::new(move || {
            let (metrics, lifecycle) = (metrics.clone(), lifecycle.clone());
            Box::pin(async move { metrics.render(&lifecycle).await })
        }))
    };
    let worker = WorkerThread::spawn_with(worker_config, crate::runtime::unpin_current_thread)?;
    let schedules = apply_schedules(&client).await?;
    let registry = registry::Registry::new(store.clone(), artifacts.clone());
    let serving = inference::start(
        inference::ServeConfig {
            http_port: args.http_port,
            grpc_port: args.grpc_port,
            log: inference::LogConfig {
                journal: Some(inference::JournalSettings::new(state.join("journal"))),
                ..Default::default()
            },
            extra_metrics: Some(worker_metrics),
            ..Default::default()
        },
        store.clone(),
        registry.clone(),
    )
    .await?;

    // The control room, on the same store, registry and Temporal, pointing at this inference service.
    let control_room = {
        let mut config = control_room::ControlRoomConfig::new(&address, &namespace);
        config.temporal_ui = match &dev_server {
            Some(s) => s.ui_url.clone(),
            None => None,
        };
        config.inference = vec![format!("http://{}", serving.http_addr)];
        config.admin_token = args.admin_token.clone().filter(|t| !t.is_empty());
        let app = control_room::App::new(config, store.clone(), artifacts.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.control_room_port))
            .await
            .with_context(|| {
                format!(
                    "binding the control room to 127.0.0.1:{}",
                    args.control_room_port
                )
            })?;
        let at = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(control_room::serve(listener, app, async move {
            let _ = stopped.await;
        }));
        (format!("http://{at}"), stop, task)
    };

    let (ingest, ingest_workflow) = if args.no_ingest {
        (None, None)
    } else {
        let (year, week) = contracts::calendar::iso_week(chrono::Utc::now().timestamp());
        let id = contracts::weekly_ingest_workflow_id(year, week);
        tracing::info!(workflow_id = %id, "running the first WeeklyIngest");
        let input = contracts::lifecycle::IngestInput {
            initial_percent: Some(args.initial_percent),
            ..Default::default()
        };
        // One run per week: a week whose WeeklyIngest completed is found, not started again (the id may be
        // reused only after a failed run); a running one is joined.
        let started = client
            .start_workflow(
                workflows::WeeklyIngest::run,
                input,
                temporalio_client::WorkflowStartOptions::new(contracts::TASK_QUEUE, id.clone())
                    .id_reuse_policy(
                        temporalio_client::WorkflowIdReusePolicy::AllowDuplicateFailedOnly,
                    )
                    .id_conflict_policy(temporalio_client::WorkflowIdConflictPolicy::UseExisting)
                    .build(),
            )
            .await;
        let options = temporalio_client::WorkflowGetResultOptions::default;
        let (result, run_id, started) = match started {
            Ok(handle) => {
                let run_id = handle.run_id().map(str::to_string);
                let result = super::workflow_cmd::follow_progress(
                    "WeeklyIngest",
                    g.json,
                    handle.get_result(options()),
                    || async {
                        handle
                            .query(
                                workflows::WeeklyIngest::progress,
                                (),
                                temporalio_client::WorkflowQueryOptions::default(),
                            )
                            .await
                            .map_err(|e| tracing::debug!(error = %e, "progress query"))
                            .ok()
                    },
                )
                .await?;
                (result, run_id, true)
            }
            Err(temporalio_client::errors::WorkflowStartError::AlreadyStarted {
                run_id, ..
            }) => {
                tracing::info!(workflow_id = %id, "this week's WeeklyIngest already completed");
                let handle = client.get_workflow_handle::<workflows::WeeklyIngest>(id.clone());
                (handle.get_result(options()).await?, run_id, false)
            }
            Err(e) => return Err(e.into()),
        };
        let run = IngestRun {
            workflow_id: id,
            run_id,
            started,
        };
        (Some(result), Some(run))
    };

    let report = UpReport {
        database_url: redact(&g.database_url),
        artifacts: artifacts.url().to_string(),
        seeded_from,
        import,
        temporal: TemporalReport {
            address: address.clone(),
            namespace: namespace.clone(),
            ui: match &dev_server {
                Some(s) => s.ui_url.clone(),
                None => None,
            },
            started_here: dev_server.is_some(),
            db_file: dev_server
                .as_ref()
                .map(|s| s.db_file().display().to_string()),
            cli,
            task_queue: contracts::TASK_QUEUE.into(),
        },
        schedules,
        serving: ServingReport {
            rest: format!("http://{}", serving.http_addr),
            grpc: format!("http://{}", serving.grpc_addr),
            health: format!("http://{}/health", serving.http_addr),
            metrics: format!("http://{}/metrics", serving.http_addr),
            control_room: control_room.0.clone(),
        },
        ingest,
        ingest_workflow,
        production: registry.production(contracts::MODEL_NAME).await?,
        status: store.status().await?,
    };
    emit(g.json, &report, human)?;

    if !args.once {
        eprintln!("serving; Ctrl-C stops");
        shutdown_signal().await;
    }
    let _ = control_room.1.send(());
    let _ = control_room.2.await;
    serving.shutdown().await?;
    worker.stop()?;
    if let Some(mut server) = dev_server {
        server.stop();
    }
    Ok(())
}

fn human(r: &UpReport) -> String {
    let mut s = format!(
        "database:  {}\nartifacts: {}\ntemporal:  {} (namespace {}, task queue {}){}\n",
        r.database_url,
        r.artifacts,
        r.temporal.address,
        r.temporal.namespace,
        r.temporal.task_queue,
        if r.temporal.started_here {
            ", dev server started here"
        } else {
            ""
        }
    );
    if let Some(ui) = &r.temporal.ui {
        s.push_str(&format!("Temporal UI: {ui}\n"));
    }
    s.push_str(&format!(
        "inference: REST {} (health {}, metrics {}), gRPC {}\n",
        r.serving.rest, r.serving.health, r.serving.metrics, r.serving.grpc
    ));
    s.push_str(&format!("control room: {}\n", r.serving.control_room));
    if let Some(from) = &r.seeded_from {
        s.push_str(&format!("seeded from {from}\n"));
    }
    for sc in &r.schedules {
        s.push_str(&format!(
            "schedule {} `{}` UTC ({}), next {}\n",
            sc.schedule_id,
            sc.cron,
            sc.action,
            sc.next_runs.first().map(String::as_str).unwrap_or("-")
        ));
    }
    s.push_str(&human_status(&r.status));
    if let (Some(i), Some(run)) = (&r.ingest, &r.ingest_workflow) {
        s.push_str(&format!(
            "\n{}{}: batch {} {} ({:.1} % loaded)",
            run.workflow_id,
            if run.started {
                ""
            } else {
                " (completed earlier)"
            },
            i.load.batch,
            i.load.status,
            i.load.percent_loaded
        ));
        if let Some(d) = &i.dataset {
            s.push_str(&format!("; dataset {}", d.dataset_id));
        }
        if let Some(t) = &i.training {
            s.push_str(&format!(
                "\ntrained v{} in {:.1}s (run {}): holdout f1_weighted {:.4}; policy: {}",
                t.version, t.train_seconds, t.run_id, t.f1_weighted, t.decision
            ));
        }
    }
    match &r.production {
        Some(p) => s.push_str(&format!(
            "\nProduction model: {} v{} ({})",
            p.name, p.version, p.artifact_uri
        )),
        None => s.push_str("\nno Production model yet"),
    }
    s
}

/// Local state (synthetic seed files, the Temporal dev server's database, training checkpoints) lives beside a
/// SQLite database (`.rakuten/`), or in `.rakuten/` otherwise.
fn state_dir(database_url: &str) -> std::path::PathBuf {
    database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .and_then(|p| {
            std::path::Path::new(p.split('?').next().unwrap_or(p))
                .parent()
                .map(|d| d.to_path_buf())
        })
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::PathBuf::from(".rakuten"))
}
