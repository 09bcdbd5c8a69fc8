//! The `rakuten` command as a library, so tests drive it without a subprocess where they can.
//!
//! - [`cli`]: the clap definitions (every flag has an `RAKUTEN_*` environment fallback).
//! - [`commands`]: one module per command group; each returns a serialisable report.
//! - [`output`]: `--json` prints one JSON document on stdout; otherwise a short human summary.
//! - [`logging`]: tracing to stderr.
//! - [`metrics`]: Prometheus text for what this binary publishes (drift gauges).
//! - [`monitoring`]: drift checks of the inference log against the training data.
//! - [`pipeline`]: the lifecycle's steps (train, evaluate, register, policy), each idempotent.
//! - [`temporal`]: Temporal client and the local dev server (`temporal server start-dev`).
//! - [`worker`]: the Temporal worker and its activities (adapters over [`pipeline`] and the capability crates).
//! - [`runtime`]: the binary's tokio runtime, its workers pinned one per CPU.
//! - [`serve`]: the inference service (gRPC + REST gateway over one core, hot swap, inference log).

pub mod cli;
pub mod commands;
pub mod logging;
pub mod metrics;
pub mod monitoring;
pub mod output;
pub mod pipeline;
pub mod runtime;
pub mod serve;
pub mod temporal;
pub mod worker;

pub use commands::run;

/// 2 for the user's own bad input (a file, a flag), 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(d) = e.downcast_ref::<data::DataError>()
        && d.is_bad_input()
    {
        return 2;
    }
    if let Some(r) = e.downcast_ref::<registry::RegistryError>()
        && r.is_bad_input()
    {
        return 2;
    }
    if let Some(m) = e.downcast_ref::<model::ModelError>()
        && !matches!(
            m,
            model::ModelError::Io { .. }
                | model::ModelError::Candle(_)
                | model::ModelError::Plot { .. }
        )
    {
        return 2;
    }
    if e.downcast_ref::<drift::DriftError>().is_some() {
        return 2; // a fixture file or a column the caller gave
    }
    if e.downcast_ref::<commands::UsageError>().is_some() {
        return 2;
    }
    1
}
