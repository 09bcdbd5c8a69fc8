//! Command-line definitions. Every global flag falls back to an environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rakuten",
    version,
    about = "Rakuten MLOps control room: data, models, drift, workflows, serving"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB
    #[arg(long, global = true, env = "RAKUTEN_DATABASE_URL", hide_env_values = true, default_value = data::store::DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Artifact store: a folder, file:///abs/path or s3://bucket/prefix (AWS_* variables configure S3)
    #[arg(long, global = true, env = "RAKUTEN_ARTIFACTS", hide_env_values = true, default_value = data::artifacts::DEFAULT_ARTIFACTS)]
    pub artifacts: String,
    /// Print one JSON document on stdout (logs stay on stderr)
    #[arg(long, global = true)]
    pub json: bool,
    /// Who is acting, as recorded in the audit log (default: cli:$USER)
    #[arg(long, global = true, env = "RAKUTEN_ACTOR")]
    pub actor: Option<String>,
    /// More logging on stderr
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Log lines as text, or as JSON objects (one per line, with the fields of the spans they are in)
    #[arg(
        long,
        global = true,
        env = "RAKUTEN_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    pub log_format: crate::logging::LogFormat,
}

impl Global {
    pub fn actor(&self) -> String {
        self.actor.clone().unwrap_or_else(|| {
            format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the system on this machine: migrate, seed data if empty, Temporal (dev server, worker, schedules),
    /// the first WeeklyIngest (initial 40 %, dataset, training); then serve until Ctrl-C (or stop: --once)
    Up(UpArgs),
    /// Database administration
    #[command(subcommand)]
    Db(DbCommand),
    /// The source pool, incremental loads and dataset versions
    #[command(subcommand)]
    Data(DataCommand),
    /// Offline training, evaluation and prediction on challenge-format files
    #[command(subcommand)]
    Model(ModelCommand),
    /// The model registry: versions, stages, aliases, promotion, rollback
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Training runs and their metrics
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Drift tests and reports
    #[command(subcommand)]
    Drift(DriftCommand),
    /// Run the Temporal worker (the lifecycle workflows and their activities) until SIGINT or SIGTERM
    Worker(WorkerArgs),
    /// Temporal Schedules of the lifecycle (weekly ingest, daily drift)
    #[command(subcommand)]
    Schedules(SchedulesCommand),
    /// Start the WeeklyIngest workflow now (this week's batch, its dataset, training) and wait for it
    Ingest(IngestArgs),
    /// Start the Training workflow now (newest dataset version unless --dataset) and wait for it
    Train(TrainArgs),
    /// The inference service: gRPC and the REST gateway over the Production model, hot-swapped on promotion
    Serve(ServeArgs),
    /// The control room: a web UI to watch and steer the lifecycle (reading open; actions need
    /// RAKUTEN_ADMIN_TOKEN)
    ControlRoom(ControlRoomArgs),
}

impl Command {
    /// The `service.name` of this process's traces (unless `OTEL_SERVICE_NAME` says otherwise).
    pub fn service_name(&self) -> &'static str {
        match self {
            Command::Serve(_) => "rakuten-serve",
            Command::Worker(_) => "rakuten-worker",
            Command::ControlRoom(_) => "rakuten-control-room",
            _ => "rakuten",
        }
    }
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Local work folder: training checkpoints, so a restarted worker resumes a crashed training
    #[arg(long, env = "RAKUTEN_WORK_DIR", default_value = ".rakuten/work")]
    pub work_dir: PathBuf,
    /// Port of the worker's Prometheus endpoint (`/metrics`: activity outcomes and durations, training, the
    /// Temporal SDK's worker metrics, the lifecycle's state); 0 picks a free port, `--no-metrics` serves none
    #[arg(long, env = "RAKUTEN_WORKER_METRICS_PORT", default_value_t = 9464)]
    pub metrics_port: u16,
    /// Address the metrics endpoint binds to
    #[arg(long, env = "RAKUTEN_WORKER_METRICS_HOST", default_value = "127.0.0.1")]
    pub metrics_host: std::net::IpAddr,
    /// Serve no metrics endpoint
    #[arg(long)]
    pub no_metrics: bool,
    /// Task queues to poll, comma-separated: `rakuten-mlops` (the workflows and the data, registry and drift
    /// activities) and `rakuten-training` (training and holdout evaluation); both by default
    #[arg(long, env = "RAKUTEN_TASK_QUEUES", value_delimiter = ',', default_values_t = contracts::TASK_QUEUES.map(String::from))]
    pub task_queues: Vec<String>,
    /// Activities this worker runs at once on `rakuten-mlops` (0: run its workflows only, no activities)
    #[arg(long, env = "RAKUTEN_MAX_CONCURRENT_ACTIVITIES", default_value_t = worker::DEFAULT_MAX_CONCURRENT_ACTIVITIES)]
    pub max_concurrent_activities: usize,
    /// Activities this worker runs at once on `rakuten-training` (a training uses every core)
    #[arg(long, env = "RAKUTEN_MAX_CONCURRENT_TRAININGS", default_value_t = worker::DEFAULT_MAX_CONCURRENT_TRAININGS)]
    pub max_concurrent_trainings: usize,
}

#[derive(Debug, Subcommand)]
pub enum SchedulesCommand {
    /// Create or update (idempotently) the schedules `weekly-ingest` (`0 0 * * 1` UTC) and `daily-drift`
    /// (`0 9 * * *` UTC)
    Apply {
        #[command(flatten)]
        temporal: TemporalArgs,
    },
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Batch name (default: `week-YYYY-Www` of today, UTC)
    #[arg(long)]
    pub batch: Option<String>,
    /// Weekly share in percent (default 3)
    #[arg(long)]
    pub percent: Option<f64>,
    /// Share of the first load when nothing is loaded yet (default 40)
    #[arg(long)]
    pub initial_percent: Option<f64>,
    /// Model type of the training (ngram_logreg, tfidf_logreg)
    #[arg(long)]
    pub model_type: Option<String>,
    /// Retrain with challengers when the Production model's live F1 on the new batch is this far below its
    /// holdout F1 (default 0.05)
    #[arg(long)]
    pub live_f1_margin: Option<f64>,
    /// Print the workflow id and return without waiting for the result
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Dataset version (default: the newest)
    #[arg(long)]
    pub dataset: Option<String>,
    /// Model type (ngram_logreg, tfidf_logreg)
    #[arg(long)]
    pub model_type: Option<String>,
    /// The run's key: another key is another run of the same dataset, with its own seed (default: a fresh
    /// key, `manual-<UTC time>`, so every `rakuten train` trains)
    #[arg(long, conflicts_with = "reuse")]
    pub run_key: Option<String>,
    /// No key: the dataset version's unkeyed run, as the weekly pipeline trains it (returns the version it
    /// registered, if any, without training)
    #[arg(long)]
    pub reuse: bool,
    /// Train this many challengers in parallel (1-5; the first is the run a single training would make, the
    /// others other seeds, the third the other model type); the best on validation is judged
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5))]
    pub challengers: Option<u32>,
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct DriftRunArgs {
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Drift share above which retraining starts (default 0.3)
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Model type of a retraining
    #[arg(long)]
    pub model_type: Option<String>,
    /// Challengers of a retraining (default 3)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=5))]
    pub challengers: Option<u32>,
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address both servers listen on
    #[arg(long, env = "RAKUTEN_SERVE_HOST", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// REST gateway port (0: any free port)
    #[arg(long, env = "RAKUTEN_HTTP_PORT", default_value_t = inference::DEFAULT_HTTP_PORT)]
    pub http_port: u16,
    /// gRPC port (0: any free port)
    #[arg(long, env = "RAKUTEN_GRPC_PORT", default_value_t = inference::DEFAULT_GRPC_PORT)]
    pub grpc_port: u16,
    /// Registered model to serve (its Production version)
    #[arg(long, env = "RAKUTEN_MODEL_NAME", default_value = contracts::MODEL_NAME)]
    pub model_name: String,
    /// Characters allowed in designation, and in description
    #[arg(long, env = "RAKUTEN_MAX_TEXT_CHARS", default_value_t = inference::Limits::default().max_text_chars)]
    pub max_text_chars: usize,
    /// Items allowed in one batch
    #[arg(long, env = "RAKUTEN_MAX_BATCH_ITEMS", default_value_t = inference::Limits::default().max_batch_items)]
    pub max_batch_items: usize,
    /// Bytes allowed in one request body
    #[arg(long, env = "RAKUTEN_MAX_BODY_BYTES", default_value_t = inference::Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// How often the registry is re-read for a new Production version (SQLite; PostgreSQL also notifies)
    #[arg(long, env = "RAKUTEN_SERVE_POLL", default_value = "5s", value_parser = parse_std_duration)]
    pub poll: std::time::Duration,
    /// Inference log rows queued before new rows are dropped (and counted)
    #[arg(long, env = "RAKUTEN_LOG_QUEUE_ROWS", default_value_t = inference::LogConfig::default().queue_rows)]
    pub log_queue_rows: usize,
    /// Local journal of inference log rows the database cannot take (down, locked or slow); replayed when it
    /// answers again. One serving process per folder
    #[arg(
        long,
        env = "RAKUTEN_LOG_JOURNAL_DIR",
        default_value = ".rakuten/journal"
    )]
    pub log_journal_dir: PathBuf,
    /// Bytes the journal may hold; past it rows are dropped and counted. 0 turns the journal off
    #[arg(long, env = "RAKUTEN_LOG_JOURNAL_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub log_journal_max_bytes: u64,
    /// Prediction requests served at once (REST and gRPC together); more are refused at once: 503 with
    /// Retry-After, gRPC RESOURCE_EXHAUSTED
    #[arg(long, env = "RAKUTEN_MAX_IN_FLIGHT", default_value_t = inference::Bounds::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Batch items predicted at once over all batches; a batch that would pass it is refused at once
    #[arg(long, env = "RAKUTEN_MAX_BATCH_ITEMS_IN_FLIGHT", default_value_t = inference::Bounds::default().max_batch_items_in_flight)]
    pub max_batch_items_in_flight: usize,
    /// A request unanswered after this is abandoned: 503 / DEADLINE_EXCEEDED
    #[arg(long, env = "RAKUTEN_REQUEST_TIMEOUT", default_value = "10s", value_parser = parse_std_duration)]
    pub request_timeout: std::time::Duration,
    /// On SIGTERM: time between turning not ready and refusing new connections (for load balancers to notice;
    /// 5s suits Kubernetes)
    #[arg(long, env = "RAKUTEN_DRAIN_DELAY", default_value = "0s", value_parser = parse_std_duration_or_zero)]
    pub drain_delay: std::time::Duration,
    /// On SIGTERM: how long requests in flight may take to finish before they are cut
    #[arg(long, env = "RAKUTEN_DRAIN_TIMEOUT", default_value = "30s", value_parser = parse_std_duration)]
    pub drain_timeout: std::time::Duration,
    /// API keys the prediction and model endpoints require, comma-separated (REST `Authorization: Bearer
    /// <key>`, gRPC metadata `authorization: Bearer <key>`); none: open. Probes and /metrics stay open
    #[arg(
        long,
        env = "RAKUTEN_API_KEYS",
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub api_keys: Vec<String>,
    /// TLS certificate chain (PEM) for both ports; with --tls-key
    #[arg(long, env = "RAKUTEN_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for both ports; with --tls-cert
    #[arg(long, env = "RAKUTEN_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Fraction (0 to 1) of the products Production answers that the shadow model (registry alias `shadow`,
    /// set with `rakuten models shadow`) scores too, off the request path
    #[arg(long, env = "RAKUTEN_SHADOW_FRACTION", default_value_t = inference::shadow::ShadowConfig::default().fraction, value_parser = parse_fraction)]
    pub shadow_fraction: f64,
    /// Products waiting for the shadow model at most; past it they are dropped (counted), never delaying a request
    #[arg(long, env = "RAKUTEN_SHADOW_QUEUE", default_value_t = inference::shadow::ShadowConfig::default().queue)]
    pub shadow_queue: usize,
}

/// A fraction flag: a number from 0 to 1.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|f| (0.0..=1.0).contains(f))
        .ok_or_else(|| format!("{s:?}: expected a number from 0 to 1"))
}

/// A duration flag: 90s, 30m, 24h, 7d.
pub fn parse_std_duration(s: &str) -> Result<std::time::Duration, String> {
    lifecycle::monitoring::parse_duration(s)
        .and_then(|d| d.to_std().ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?}: expected a positive duration like 5s, 1m or 1h"))
}

/// A duration flag that may be zero: 0, 0s, 5s, 1m.
pub fn parse_std_duration_or_zero(s: &str) -> Result<std::time::Duration, String> {
    if s.trim_end_matches('s') == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    parse_std_duration(s)
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Register an artifact folder from `rakuten model train`, scored on the fixed holdout (idempotent)
    Register(RegisterArgs),
    /// Every version with its stage, holdout f1_weighted and aliases
    List {
        #[arg(long)]
        name: Option<String>,
    },
    Show {
        name: String,
        version: i64,
    },
    /// Move a version to a stage (Production archives the previous Production version)
    Promote {
        name: String,
        version: i64,
        #[arg(long, default_value = "Production")]
        stage: String,
        #[arg(long, default_value = "manual promotion")]
        reason: String,
    },
    /// Back to the version that was Production before the current one
    Rollback {
        name: String,
        #[arg(long, default_value = "manual rollback")]
        reason: String,
    },
    /// Point an alias (e.g. challenger) at a version
    Alias {
        name: String,
        alias: String,
        version: i64,
    },
    /// Score a version in the shadow of Production (alias `shadow`): serving loads it beside Production and
    /// reports how often it agrees; answers still come from Production. `--remove` stops it
    Shadow {
        name: String,
        /// The version to shadow (omit with --remove)
        #[arg(required_unless_present = "remove", conflicts_with = "remove")]
        version: Option<i64>,
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[arg(long)]
    pub model_dir: PathBuf,
    #[arg(long, default_value = registry::DEFAULT_MODEL_NAME)]
    pub name: String,
    /// Also apply the promotion policy (first model ≥ 0.75 f1_weighted; later ones must beat the champion on the
    /// same holdout rows: the 95 % bootstrap interval of the F1 difference above 0)
    #[arg(long)]
    pub promote: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    List {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
    Show {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train on a MERGED csv (designation, description, productid, imageid, prdtypecode) into an artifact folder
    Train {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Model type (default: the measured best)
        #[arg(long)]
        model_type: Option<String>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Share of the rows held out for early stopping
        #[arg(long, default_value_t = 0.15)]
        validation_fraction: f64,
    },
    /// Score an artifact folder on a MERGED csv: accuracy, f1_weighted, f1_macro, per_class
    Eval {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
    },
    /// Classify one product
    Predict {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        designation: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value_t = 5)]
        top_k: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum DriftCommand {
    /// Run the drift tests on a fixture file (the format of shared/fixtures/drift) and print the results
    Test {
        #[arg(long)]
        fixture: PathBuf,
    },
    /// Compare recent inferences with the training data; store and record the report
    Check {
        /// The window: 90s, 30m, 24h, 7d
        #[arg(long, default_value = "24h")]
        since: String,
        /// Share of drifted columns above which the dataset drifts (and retraining is due)
        #[arg(long, default_value_t = contracts::RETRAIN_DRIFT_SHARE)]
        threshold: f64,
        /// Also write the result as Prometheus gauges to this file (node_exporter textfile collector format)
        #[arg(long)]
        metrics_file: Option<PathBuf>,
    },
    /// Start the DailyDrift workflow now (drift since the last check; retraining when due) and wait for it
    Run(DriftRunArgs),
    /// Stored drift reports, newest first
    Reports {
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations
    Migrate,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Seed from these challenge files instead of generating synthetic data
    #[arg(long, requires = "y_train")]
    pub x_train: Option<PathBuf>,
    #[arg(long, requires = "x_train")]
    pub y_train: Option<PathBuf>,
    /// Seed from a MERGED csv (designation, description, productid, imageid, prdtypecode)
    #[arg(long, conflicts_with = "x_train")]
    pub csv: Option<PathBuf>,
    /// Rows of synthetic data to generate when the database is empty and no files are given
    #[arg(long, default_value_t = 84_916)]
    pub seed_rows: usize,
    /// Percent of the pool loaded by the first weekly ingest when nothing is loaded
    #[arg(long, default_value_t = contracts::INITIAL_LOAD_PERCENT)]
    pub initial_percent: f64,
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Web UI port of the Temporal dev server that `up` starts (when none answers at --temporal-address)
    #[arg(long, default_value_t = 8233)]
    pub temporal_ui_port: u16,
    /// Do not run the first WeeklyIngest (load, dataset, training)
    #[arg(long)]
    pub no_ingest: bool,
    /// Inference service: REST gateway port (0: any free port)
    #[arg(long, default_value_t = inference::DEFAULT_HTTP_PORT)]
    pub http_port: u16,
    /// Inference service: gRPC port (0: any free port)
    #[arg(long, default_value_t = inference::DEFAULT_GRPC_PORT)]
    pub grpc_port: u16,
    /// Set everything up, run the first WeeklyIngest, then stop (instead of serving until Ctrl-C)
    #[arg(long)]
    pub once: bool,
    /// Control room port (0: any free port)
    #[arg(long, env = "RAKUTEN_CONTROL_ROOM_PORT", default_value_t = CONTROL_ROOM_PORT)]
    pub control_room_port: u16,
    /// The admin token the control room's actions need; unset: the control room is read-only
    #[arg(long, env = "RAKUTEN_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
}

/// The control room's port by default.
pub const CONTROL_ROOM_PORT: u16 = 8080;

#[derive(Debug, Args)]
pub struct ControlRoomArgs {
    /// Address the control room listens on (reading is open: keep it on localhost unless behind a proxy)
    #[arg(long, env = "RAKUTEN_CONTROL_ROOM_HOST", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Port (0: any free port)
    #[arg(long, env = "RAKUTEN_CONTROL_ROOM_PORT", default_value_t = CONTROL_ROOM_PORT)]
    pub port: u16,
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// The Temporal web UI, for deep links to workflows
    #[arg(
        long,
        env = "RAKUTEN_TEMPORAL_UI",
        default_value = "http://127.0.0.1:8233"
    )]
    pub temporal_ui: String,
    /// REST base URL of an inference service (repeat or comma-separate for several); the first answers the
    /// prediction form
    #[arg(
        long,
        env = "RAKUTEN_INFERENCE_URL",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8000"
    )]
    pub inference_url: Vec<String>,
    /// API key sent to the inference services (when they require one)
    #[arg(long, env = "RAKUTEN_INFERENCE_API_KEY", hide_env_values = true)]
    pub inference_api_key: Option<String>,
    /// Prometheus base URL: health, alerts and a link
    #[arg(long, env = "RAKUTEN_PROMETHEUS_URL")]
    pub prometheus_url: Option<String>,
    /// Grafana base URL: a link
    #[arg(long, env = "RAKUTEN_GRAFANA_URL")]
    pub grafana_url: Option<String>,
    /// The admin token every action needs (a login form asks for it); unset: actions are disabled
    #[arg(long, env = "RAKUTEN_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Registered model the pages show
    #[arg(long, env = "RAKUTEN_MODEL_NAME", default_value = contracts::MODEL_NAME)]
    pub model_name: String,
    /// Failed logins allowed per client address per minute
    #[arg(long, env = "RAKUTEN_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 5)]
    pub login_attempts_per_minute: u32,
    /// Mark the session cookies Secure (when served behind TLS)
    #[arg(long, env = "RAKUTEN_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

impl ControlRoomArgs {
    pub fn config(&self) -> control_room::ControlRoomConfig {
        let mut c = control_room::ControlRoomConfig::new(
            &self.temporal.temporal_address,
            &self.temporal.namespace,
        );
        let trim = |s: &str| s.trim().trim_end_matches('/').to_string();
        c.temporal_ui = Some(trim(&self.temporal_ui)).filter(|s| !s.is_empty());
        c.inference = self
            .inference_url
            .iter()
            .map(|u| trim(u))
            .filter(|u| !u.is_empty())
            .collect();
        c.inference_api_key = self.inference_api_key.clone().filter(|k| !k.is_empty());
        c.prometheus = self
            .prometheus_url
            .as_deref()
            .map(trim)
            .filter(|s| !s.is_empty());
        c.grafana = self
            .grafana_url
            .as_deref()
            .map(trim)
            .filter(|s| !s.is_empty());
        c.admin_token = self.admin_token.clone().filter(|t| !t.is_empty());
        c.model_name = self.model_name.clone();
        c.login_attempts_per_minute = self.login_attempts_per_minute;
        c.secure_cookies = self.secure_cookies;
        c
    }
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Validate and import the source pool (all or nothing); a fixed stratified holdout is set aside
    Import(ImportArgs),
    /// Load the next rows of the pool: `--initial 40` first, then `--percent 3 --batch NAME`
    Load(LoadArgs),
    /// Rows imported and loaded, percent, per-class counts, batches
    Status,
    /// Build a dataset version (Parquet in the artifact store) from the loaded rows
    Dataset(DatasetArgs),
    /// List dataset versions
    Datasets,
    /// Write synthetic X_train.csv and Y_train.csv in the challenge's exact format
    Generate(GenerateArgs),
    /// Write the inference log as the original system's CSV (timestamp, prediction_id, model_version,
    /// designation, description, imageid, predicted_class, confidence, text_len_chars, latency_ms)
    ExportInferenceLog {
        #[arg(long)]
        csv: PathBuf,
        /// Only predictions of this last window: 90s, 30m, 24h, 7d (default: all)
        #[arg(long)]
        since: Option<String>,
    },
    /// The audit log, newest first
    Audit {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long, requires = "y_train", required_unless_present = "csv")]
    pub x_train: Option<PathBuf>,
    #[arg(long, requires = "x_train")]
    pub y_train: Option<PathBuf>,
    #[arg(long, conflicts_with_all = ["x_train", "y_train"])]
    pub csv: Option<PathBuf>,
    /// Share of each class kept aside as the fixed evaluation holdout
    #[arg(long, default_value_t = data::plan::DEFAULT_HOLDOUT_FRACTION)]
    pub holdout_fraction: f64,
    #[arg(long, default_value_t = data::plan::DEFAULT_SEED)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Bring the loaded share up to this percent of the pool (batch name defaults to "initial")
    #[arg(long, conflicts_with = "percent", required_unless_present = "percent")]
    pub initial: Option<f64>,
    /// Add this percent of the pool (batch name defaults to this ISO week, e.g. week-2026-W48)
    #[arg(long)]
    pub percent: Option<f64>,
    /// The batch name: a name already applied loads nothing
    #[arg(long)]
    pub batch: Option<String>,
}

#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// none | undersample | oversample
    #[arg(long, default_value = "oversample")]
    pub strategy: String,
    /// Rows per class to under/over-sample to (default: smallest/largest class)
    #[arg(long)]
    pub cap: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 0.15)]
    pub validation_fraction: f64,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 84_916)]
    pub rows: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Where Temporal is (every command that talks to it takes these).
#[derive(Debug, Clone, Args)]
pub struct TemporalArgs {
    /// Temporal frontend, host:port
    #[arg(
        long,
        env = "RAKUTEN_TEMPORAL_ADDRESS",
        default_value = "127.0.0.1:7233"
    )]
    pub temporal_address: String,
    /// Temporal namespace
    #[arg(long, env = "RAKUTEN_TEMPORAL_NAMESPACE", default_value = "default")]
    pub namespace: String,
}
