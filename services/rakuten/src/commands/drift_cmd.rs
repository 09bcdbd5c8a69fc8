//! `rakuten drift …`: tests on a fixture file, checks on the inference log, the list of reports.

use super::{BadInput, open_store};
use crate::cli::{DriftCommand, Global};
use crate::output::emit;

pub async fn run(g: &Global, cmd: DriftCommand) -> anyhow::Result<()> {
    match cmd {
        DriftCommand::Test { fixture } => {
            let result =
                tokio::task::spawn_blocking(move || drift::run_fixture(&fixture)).await??;
            emit(g.json, &result, |r| {
                serde_json::to_string_pretty(r).unwrap_or_default()
            })
        }
        DriftCommand::Check {
            since,
            threshold,
            metrics_file,
        } => {
            if !(0.0..=1.0).contains(&threshold) {
                return Err(
                    BadInput(format!("--threshold must be in [0, 1], got {threshold}")).into(),
                );
            }
            let until = chrono::Utc::now();
            let since = super::window_start(&since, until)?;
            let registry = super::models_cmd::registry(g).await?;
            // A manual check is a report of its own window (ending now); it moves nothing the daily
            // workflow reads: DailyDrift's windows come from its own start time.
            let check = lifecycle::monitoring::drift_check_served(
                &registry,
                contracts::MODEL_NAME,
                since,
                until,
                threshold,
                &g.actor(),
            )
            .await?;
            if let Some(path) = metrics_file {
                // Write then rename, so a collector never reads half a file.
                let tmp = path.with_extension("prom.tmp");
                std::fs::write(&tmp, lifecycle::DriftCheck::prometheus_text(&check))?;
                std::fs::rename(&tmp, &path)?;
            }
            emit(g.json, &check, |c| {
                let r = &c.record;
                if r.current_rows == 0 {
                    return format!(
                        "no inferences in the last {since}: nothing to compare, no retraining (report {})",
                        r.id
                    );
                }
                format!(
                    "{} inferences vs {} training rows: {}/{} columns drifted (share {:.2}, threshold {:.2}) → {}\n  report {}",
                    r.current_rows,
                    r.reference_rows,
                    r.drifted_columns,
                    r.columns,
                    r.share_drifted,
                    r.share_threshold,
                    if c.retrain {
                        "DRIFT: retrain"
                    } else {
                        "no dataset drift"
                    },
                    r.html_key
                )
            })
        }
        DriftCommand::Run(args) => super::workflow_cmd::drift_run(g, args).await,
        DriftCommand::Reports { limit } => {
            let reports = open_store(g).await?.drift_reports(limit).await?;
            emit(g.json, &reports, |rs| {
                rs.iter()
                    .map(|r| {
                        format!(
                            "{}  {}  {} inferences  drift {} ({:.2})  {}",
                            r.id,
                            r.at.format("%Y-%m-%d %H:%M:%S"),
                            r.current_rows,
                            r.dataset_drift,
                            r.share_drifted,
                            r.html_key
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}
