//! `rakuten drift …`.

use crate::cli::{DriftCommand, Global};
use crate::output::emit;

pub async fn run(g: &Global, cmd: DriftCommand) -> anyhow::Result<()> {
    match cmd {
        DriftCommand::Test { fixture } => {
            let result = tokio::task::spawn_blocking(move || drift::run_fixture(&fixture)).await??;
            emit(g.json, &result, |r| serde_json::to_string_pretty(r).unwrap_or_default())
        }
    }
}
