//! `rakuten data …`: import, load, status, dataset, datasets, generate, audit.

use std::fmt::Write;

use data::load::{INITIAL_BATCH_NAME, weekly_batch_name};
use data::{DatasetOptions, ImportOptions, LoadRequest, LoadStatus, SourceFiles};

use super::{BadInput, open_artifacts, open_store};
use crate::cli::{DataCommand, DatasetArgs, Global, ImportArgs, LoadArgs};
use crate::output::emit;

pub async fn run(g: &Global, cmd: DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Import(args) => import(g, args).await,
        DataCommand::Load(args) => load(g, args).await,
        DataCommand::Status => {
            let status = open_store(g).await?.status().await?;
            emit(g.json, &status, human_status)
        }
        DataCommand::Dataset(args) => dataset(g, args).await,
        DataCommand::ExportInferenceLog { csv, since } => {
            export_inference_log(g, &csv, since).await
        }
        DataCommand::Datasets => {
            let versions = open_store(g).await?.dataset_versions().await?;
            emit(g.json, &versions, |vs| {
                let mut s = format!("{} dataset version(s)", vs.len());
                for v in vs {
                    let _ = write!(
                        s,
                        "\n  {}  {}  train {} / validation {} / holdout {}  sha256 {}  {}",
                        v.id(),
                        v.manifest.strategy.as_str(),
                        v.manifest.files["train"].rows,
                        v.manifest.files["validation"].rows,
                        v.manifest.files["holdout"].rows,
                        &v.sha256[..12],
                        v.created_at.format("%Y-%m-%d %H:%M:%S")
                    );
                }
                s
            })
        }
        DataCommand::Generate(args) => {
            let started = std::time::Instant::now();
            let rows = data::generate::generate(args.rows, args.seed);
            let (x, y) = data::generate::write_challenge_files(&args.out, &rows)?;
            let report = serde_json::json!({
                "rows": rows.len(), "seed": args.seed, "x_train": x, "y_train": y,
                "seconds": started.elapsed().as_secs_f64(),
            });
            emit(g.json, &report, |_| {
                format!(
                    "wrote {} rows to {} and {}",
                    rows.len(),
                    x.display(),
                    y.display()
                )
            })
        }
        DataCommand::Audit { limit } => {
            let entries = open_store(g).await?.audit_log(limit).await?;
            emit(g.json, &entries, |es| {
                es.iter()
                    .map(|e| {
                        format!(
                            "{}  {:<24} {:<16} {}:{}  {}",
                            e.at.format("%Y-%m-%d %H:%M:%S"),
                            e.actor,
                            e.action,
                            e.entity,
                            e.entity_id,
                            e.details
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
    }
}

pub(crate) fn source_files(
    x_train: Option<std::path::PathBuf>,
    y_train: Option<std::path::PathBuf>,
    csv: Option<std::path::PathBuf>,
) -> anyhow::Result<Option<SourceFiles>> {
    Ok(match (x_train, y_train, csv) {
        (Some(x_train), Some(y_train), None) => Some(SourceFiles::Challenge { x_train, y_train }),
        (None, None, Some(path)) => Some(SourceFiles::Merged(path)),
        (None, None, None) => None,
        _ => return Err(BadInput("give either --x-train and --y-train, or --csv".into()).into()),
    })
}

async fn import(g: &Global, args: ImportArgs) -> anyhow::Result<()> {
    let files = source_files(args.x_train, args.y_train, args.csv)?
        .ok_or_else(|| BadInput("give either --x-train and --y-train, or --csv".into()))?;
    let store = open_store(g).await?;
    let options = ImportOptions {
        holdout_fraction: args.holdout_fraction,
        seed: args.seed,
        actor: g.actor(),
    };
    let report = store.import(&files, &options).await?;
    emit(g.json, &report, |r| {
        if r.already_imported {
            format!(
                "already imported as import #{} ({} rows); nothing written",
                r.import_id, r.total_rows
            )
        } else {
            format!(
                "imported {} rows in {:.2}s ({:.0} rows/s): {} in the pool, {} kept aside as the fixed holdout",
                r.total_rows,
                r.seconds,
                r.total_rows as f64 / r.seconds.max(1e-9),
                r.pool_rows,
                r.holdout_rows
            )
        }
    })
}

async fn load(g: &Global, args: LoadArgs) -> anyhow::Result<()> {
    let (request, default_name) = match (args.initial, args.percent) {
        (Some(p), None) => (
            LoadRequest::Initial { percent: p },
            INITIAL_BATCH_NAME.to_string(),
        ),
        (None, Some(p)) => (
            LoadRequest::Increment { percent: p },
            weekly_batch_name(chrono::Utc::now()),
        ),
        _ => {
            return Err(BadInput(
                "give exactly one of --initial PERCENT or --percent PERCENT".into(),
            )
            .into());
        }
    };
    let name = args.batch.unwrap_or(default_name);
    let store = open_store(g).await?;
    let outcome = store.load(&request, &name, &g.actor()).await?;
    emit(g.json, &outcome, |o| match (&o.status, &o.batch) {
        (LoadStatus::Loaded, Some(b)) => format!(
            "batch {:?}: loaded {} rows ({:.1}% → {:.1}% of {} pool rows)",
            b.name, b.rows, b.percent_before, b.percent_after, o.pool_rows
        ),
        (LoadStatus::AlreadyApplied, Some(b)) => format!(
            "batch {:?} was already applied at {} ({} rows); nothing loaded. {:.1}% loaded",
            b.name,
            b.finished_at.format("%Y-%m-%d %H:%M:%S"),
            b.rows,
            o.percent_loaded
        ),
        (LoadStatus::TargetReached, _) => format!(
            "{:.1}% of the pool is already loaded ({} rows); nothing to load",
            o.percent_loaded, o.loaded_rows
        ),
        _ => format!(
            "the pool is fully loaded ({} rows, 100%); nothing to load",
            o.loaded_rows
        ),
    })
}

async fn dataset(g: &Global, args: DatasetArgs) -> anyhow::Result<()> {
    let store = open_store(g).await?;
    let artifacts = open_artifacts(g)?;
    let options = DatasetOptions {
        strategy: args.strategy.parse()?,
        cap: args.cap,
        seed: args.seed,
        validation_fraction: args.validation_fraction,
        actor: g.actor(),
    };
    let version = store.build_dataset(&artifacts, &options).await?;
    emit(g.json, &version, human_dataset)
}

pub(crate) fn human_dataset(v: &data::DatasetVersion) -> String {
    let f = &v.manifest.files;
    format!(
        "dataset {}{}: train {} / validation {} / holdout {} rows ({}), sha256 {}\n  at {}",
        v.id(),
        if v.reused {
            " (existing version, unchanged input)"
        } else {
            ""
        },
        f["train"].rows,
        f["validation"].rows,
        f["holdout"].rows,
        v.manifest.strategy.as_str(),
        v.sha256,
        v.uri
    )
}

pub(crate) fn human_status(s: &data::DataStatus) -> String {
    let mut out = String::new();
    match &s.import {
        None => out.push_str("no source pool imported yet (rakuten data import …)"),
        Some(i) => {
            let _ = write!(
                out,
                "source pool: {} rows ({} pool + {} holdout), import #{} ({}), checksum {}",
                i.total_rows,
                i.pool_rows,
                i.holdout_rows,
                i.import_id,
                i.kind,
                &i.checksum[..12]
            );
            let _ = write!(
                out,
                "\nloaded: {} of {} pool rows ({:.1}%)",
                s.loaded_rows, s.pool_rows, s.percent_loaded
            );
            for b in &s.batches {
                let _ = write!(
                    out,
                    "\n  {:<16} {:<11} {:>6} rows  {:5.1}% → {:5.1}%  {}  by {}",
                    b.name,
                    b.kind,
                    b.rows,
                    b.percent_before,
                    b.percent_after,
                    b.finished_at.format("%Y-%m-%d %H:%M:%S"),
                    b.actor
                );
            }
            if !s.class_counts.is_empty() {
                let counts: Vec<String> = s
                    .class_counts
                    .iter()
                    .map(|(c, n)| format!("{c}:{n}"))
                    .collect();
                let _ = write!(out, "\nper class: {}", counts.join(" "));
            }
        }
    }
    let _ = write!(
        out,
        "\ndataset versions: {}, inference log rows: {} ({})",
        s.dataset_versions, s.inference_log_rows, s.backend
    );
    out
}

/// The original system's prediction log columns, in its order.
pub const INFERENCE_CSV_HEADER: [&str; 10] = [
    "timestamp",
    "prediction_id",
    "model_version",
    "designation",
    "description",
    "imageid",
    "predicted_class",
    "confidence",
    "text_len_chars",
    "latency_ms",
];

async fn export_inference_log(
    g: &Global,
    path: &std::path::Path,
    since: Option<String>,
) -> anyhow::Result<()> {
    let until = chrono::Utc::now() + chrono::Duration::seconds(1);
    let start = match &since {
        Some(s) => super::window_start(s, until)?,
        None => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    };
    let rows = open_store(g).await?.inference_log(start, until).await?;
    let mut w =
        csv::Writer::from_path(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    w.write_record(INFERENCE_CSV_HEADER)?;
    for r in &rows {
        w.write_record([
            r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            r.prediction_id.clone(),
            r.model_version.clone(),
            r.designation.clone(),
            r.description.clone(),
            r.imageid.map(|i| i.to_string()).unwrap_or_default(),
            r.predicted_class.to_string(),
            r.confidence.to_string(),
            r.text_len_chars.to_string(),
            r.latency_ms.to_string(),
        ])?;
    }
    w.flush()?;
    let report = serde_json::json!({ "csv": path.display().to_string(), "rows": rows.len() });
    emit(g.json, &report, |_| {
        format!("{} prediction(s) written to {}", rows.len(), path.display())
    })
}
