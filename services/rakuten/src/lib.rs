//! The `rakuten` command: the CLI and the host of the services. It owns the process (runtime, CPU affinity,
//! signals, exit codes) and the local Temporal dev server; the work itself lives in the crates it hosts:
//! `worker` (Temporal worker), `inference` (gRPC + REST service), `lifecycle` (the pipeline stages and drift
//! checks) and the capability crates. Nothing depends on this crate.
//!
//! - [`cli`]: the clap definitions (every flag has an `RAKUTEN_*` environment fallback).
//! - [`commands`]: one module per command group; each returns a serialisable report.
//! - [`output`]: `--json` prints one JSON document on stdout; otherwise a short human summary.
//! - [`logging`]: tracing to stderr.
//! - [`devserver`]: the local Temporal dev server (`temporal server start-dev`) for `up` and the tests.
//! - [`runtime`]: the binary's tokio runtime, its workers pinned one per CPU; the stop signal.
//! - [`tools`]: the `temporal` CLI `up` runs, found or installed under `.rakuten/tools`.

pub mod cli;
pub mod commands;
pub mod devserver;
pub mod logging;
pub mod output;
pub mod runtime;
pub mod tools;

pub use commands::run;

/// 2 for the user's own bad input (a file, a flag: [`lifecycle::is_bad_input`]), 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if lifecycle::is_bad_input(e) { 2 } else { 1 }
}
