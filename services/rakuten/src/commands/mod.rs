//! Command dispatch. Each command opens what it needs (store, artifacts), acts, and reports.

mod control_room_cmd;
mod data_cmd;
mod drift_cmd;
pub(crate) mod model_cmd;
mod models_cmd;
mod serve_cmd;
mod up;
pub mod workflow_cmd;

use anyhow::Context;
use data::{ArtifactStore, Store};

use crate::cli::{Cli, Command, DbCommand, Global};
use crate::output::emit;

/// A mistake in how the command was called (exit code 2): the lifecycle's one bad-input error.
pub use lifecycle::BadInput;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Up(args) => up::run(g, args).await,
        Command::Db(DbCommand::Migrate) => {
            let store = Store::connect_unmigrated(&g.database_url)
                .await
                .context("connecting to the database")?;
            let applied = store.migrate().await?;
            let report =
                serde_json::json!({ "backend": store.backend(), "applied_migrations": applied });
            emit(g.json, &report, |_| {
                format!("{}: {applied} migration(s) applied", store.backend())
            })
        }
        Command::Data(cmd) => data_cmd::run(g, cmd).await,
        Command::Model(cmd) => model_cmd::run(g, cmd).await,
        Command::Models(cmd) => models_cmd::run(g, cmd).await,
        Command::Runs(cmd) => models_cmd::runs(g, cmd).await,
        Command::Drift(cmd) => drift_cmd::run(g, cmd).await,
        Command::Worker(args) => workflow_cmd::worker(g, args).await,
        Command::Schedules(cmd) => workflow_cmd::schedules(g, cmd).await,
        Command::Ingest(args) => workflow_cmd::ingest(g, args).await,
        Command::Train(args) => workflow_cmd::train(g, args).await,
        Command::Serve(args) => serve_cmd::run(g, args).await,
        Command::ControlRoom(args) => control_room_cmd::run(g, args).await,
    }
}

pub(crate) async fn open_store(g: &Global) -> anyhow::Result<Store> {
    Store::connect(&g.database_url)
        .await
        .with_context(|| format!("opening database {}", redact(&g.database_url)))
}

pub(crate) fn open_artifacts(g: &Global) -> anyhow::Result<ArtifactStore> {
    Ok(ArtifactStore::open(&g.artifacts)?)
}

/// The start of a window that ends now, from a `--since` flag (90s, 30m, 24h, 7d).
pub(crate) fn window_start(
    since: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, BadInput> {
    let window = lifecycle::monitoring::parse_duration(since).ok_or_else(|| {
        BadInput(format!(
            "--since {since:?}: expected a duration like 90s, 30m, 24h or 7d"
        ))
    })?;
    until.checked_sub_signed(window).ok_or_else(|| {
        BadInput(format!(
            "--since {since:?} reaches before any representable time"
        ))
    })
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}
