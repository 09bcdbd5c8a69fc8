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
    #[arg(long, global = true, env = "RAKUTEN_DATABASE_URL", default_value = data::store::DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Artifact store: a folder, file:///abs/path or s3://bucket/prefix (AWS_* variables configure S3)
    #[arg(long, global = true, env = "RAKUTEN_ARTIFACTS", default_value = data::artifacts::DEFAULT_ARTIFACTS)]
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
    /// Run the system on this machine: migrate, seed data if empty, load the initial 40 %, build a dataset
    Up(UpArgs),
    /// Database administration
    #[command(subcommand)]
    Db(DbCommand),
    /// The source pool, incremental loads and dataset versions
    #[command(subcommand)]
    Data(DataCommand),
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
    /// Percent of the pool loaded first
    #[arg(long, default_value_t = 40.0)]
    pub initial_percent: f64,
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
    /// The audit log, newest first
    Audit {
        #[arg(long, default_value_t = 50)]
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
