//! `rakuten up`: the system on one machine. Today: migrate, seed the pool (synthetic data unless files are
//! given), load the initial share, build the first dataset version, train, register and (by the promotion
//! policy) promote the first model, and print where everything is.

use data::load::INITIAL_BATCH_NAME;
use data::{DatasetOptions, ImportOptions, LoadRequest, SourceFiles};
use serde::Serialize;

use super::data_cmd::{human_dataset, human_status, source_files};
use super::{open_artifacts, open_store, redact};
use crate::cli::{Global, UpArgs};
use crate::output::emit;

#[derive(Serialize)]
struct UpReport {
    database_url: String,
    artifacts: String,
    seeded_from: Option<String>,
    import: Option<data::ImportReport>,
    initial_load: data::LoadOutcome,
    dataset: data::DatasetVersion,
    /// The first training, when no Production model exists yet (skipped with `--no-train`).
    training: Option<crate::pipeline::TrainOutcome>,
    production: Option<registry::ModelVersion>,
    status: data::DataStatus,
}

pub async fn run(g: &Global, args: UpArgs) -> anyhow::Result<()> {
    let store = open_store(g).await?;
    let artifacts = open_artifacts(g)?;
    let actor = format!("up:{}", g.actor());

    let mut seeded_from = None;
    let mut import = None;
    if store.status().await?.import.is_none() {
        let files = match source_files(args.x_train, args.y_train, args.csv)? {
            Some(files) => files,
            None => {
                let dir = seed_dir(&g.database_url);
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
    let initial_load = store
        .load(
            &LoadRequest::Initial {
                percent: args.initial_percent,
            },
            INITIAL_BATCH_NAME,
            &actor,
        )
        .await?;
    let dataset = store
        .build_dataset(
            &artifacts,
            &DatasetOptions {
                actor: actor.clone(),
                ..Default::default()
            },
        )
        .await?;
    let registry = registry::Registry::new(store.clone(), artifacts.clone());
    let name = registry::DEFAULT_MODEL_NAME;
    let training = if args.no_train || registry.production(name).await?.is_some() {
        None
    } else {
        tracing::info!(
            dataset = dataset.id(),
            "no Production model: training the first one"
        );
        let model_type = model::ModelType::DEFAULT;
        let policy = registry::Policy::default();
        Some(
            crate::pipeline::train_and_register(
                &store, &registry, &dataset, model_type, name, &policy, &actor,
            )
            .await?,
        )
    };
    let report = UpReport {
        database_url: redact(&g.database_url),
        artifacts: artifacts.url().to_string(),
        seeded_from,
        import,
        initial_load,
        dataset,
        training,
        production: registry.production(name).await?,
        status: store.status().await?,
    };
    emit(g.json, &report, |r| {
        let mut s = format!(
            "database:  {}\nartifacts: {}\n",
            r.database_url, r.artifacts
        );
        if let Some(from) = &r.seeded_from {
            s.push_str(&format!("seeded from {from}\n"));
        }
        s.push_str(&human_status(&r.status));
        s.push('\n');
        s.push_str(&human_dataset(&r.dataset));
        if let Some(t) = &r.training {
            s.push_str(&format!(
                "\ntrained {} v{} in {:.1}s (run {}): holdout f1_weighted {:.4}; policy: {}",
                t.version.name,
                t.version.version,
                t.train_seconds,
                t.run_id,
                t.version.f1_weighted().unwrap_or(f64::NAN),
                t.decision.reason
            ));
        }
        match &r.production {
            Some(p) => s.push_str(&format!(
                "\nProduction model: {} v{} ({})",
                p.name, p.version, p.artifact_uri
            )),
            None => s.push_str("\nno Production model yet"),
        }
        s
    })
}

/// Synthetic seed files live beside a SQLite database (`.rakuten/seed`), or in `.rakuten/seed` otherwise.
fn seed_dir(database_url: &str) -> std::path::PathBuf {
    let base = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .and_then(|p| {
            std::path::Path::new(p.split('?').next().unwrap_or(p))
                .parent()
                .map(|d| d.to_path_buf())
        })
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::PathBuf::from(".rakuten"));
    base.join("seed")
}
