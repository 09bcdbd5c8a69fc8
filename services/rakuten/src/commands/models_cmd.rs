//! `rakuten models …` and `rakuten runs …`: the registry from the command line.

use std::fmt::Write;

use registry::{ModelVersion, Registry, Stage};

use super::{open_artifacts, open_store};
use crate::cli::{Global, ModelsCommand, RunsCommand};
use crate::output::emit;

pub async fn registry(g: &Global) -> anyhow::Result<Registry> {
    Ok(Registry::new(open_store(g).await?, open_artifacts(g)?))
}

pub async fn run(g: &Global, cmd: ModelsCommand) -> anyhow::Result<()> {
    let r = registry(g).await?;
    let actor = g.actor();
    match cmd {
        ModelsCommand::Register(args) => super::model_cmd::register(g, &r, args).await,
        ModelsCommand::List { name } => {
            let versions = r.versions(name.as_deref()).await?;
            emit(g.json, &versions, |vs| {
                if vs.is_empty() {
                    return "no registered model versions".into();
                }
                let mut s = format!(
                    "{:<20} {:>4}  {:<10} {:>11}  {:<20} {}",
                    "name", "ver", "stage", "f1_weighted", "aliases", "created"
                );
                for v in vs {
                    let _ = write!(s, "\n{}", version_line(v));
                }
                s
            })
        }
        ModelsCommand::Show { name, version } => {
            let v = r.version(&name, version).await?;
            emit(g.json, &v, |v| {
                serde_json::to_string_pretty(v).unwrap_or_default()
            })
        }
        ModelsCommand::Promote {
            name,
            version,
            stage,
            reason,
        } => {
            let stage: Stage = stage.parse()?;
            let v = r.transition(&name, version, stage, &actor, &reason).await?;
            emit(g.json, &v, |v| {
                format!("{} v{} is now {}", v.name, v.version, v.stage.as_str())
            })
        }
        ModelsCommand::Rollback { name, reason } => {
            let v = r.rollback(&name, &actor, &reason).await?;
            emit(g.json, &v, |v| {
                format!("rolled back: {} v{} is Production again", v.name, v.version)
            })
        }
        ModelsCommand::Alias {
            name,
            alias,
            version,
        } => {
            r.set_alias(&name, &alias, version, &actor).await?;
            let v = r.version(&name, version).await?;
            emit(g.json, &v, |v| {
                format!("{}@{alias} → v{}", v.name, v.version)
            })
        }
        ModelsCommand::Shadow {
            name,
            version: Some(version),
            ..
        } => {
            let alias = inference::shadow::ALIAS;
            r.set_alias(&name, alias, version, &actor).await?;
            let v = r.version(&name, version).await?;
            emit(g.json, &v, |v| {
                format!(
                    "{}@{alias} → v{}: serving scores it beside Production (see /models/current)",
                    v.name, v.version
                )
            })
        }
        ModelsCommand::Shadow { name, .. } => {
            let removed = r
                .remove_alias(&name, inference::shadow::ALIAS, &actor)
                .await?;
            let out = serde_json::json!({ "name": name, "removed": removed });
            emit(g.json, &out, |_| {
                if removed {
                    format!("{name} has no shadow version any more")
                } else {
                    format!("{name} had no shadow version")
                }
            })
        }
    }
}

pub async fn runs(g: &Global, cmd: RunsCommand) -> anyhow::Result<()> {
    let r = registry(g).await?;
    match cmd {
        RunsCommand::List { limit } => {
            let runs = r.runs(limit).await?;
            emit(g.json, &runs, |rs| {
                let mut s = format!("{} run(s)", rs.len());
                for run in rs {
                    let _ = write!(
                        s,
                        "\n  {}  {:<12} {:<9} dataset {}  f1_weighted {}  {}",
                        run.id,
                        run.experiment,
                        run.status,
                        run.dataset_version.as_deref().unwrap_or("-"),
                        run.metrics
                            .get("f1_weighted")
                            .and_then(|v| v.as_f64())
                            .map(|f| format!("{f:.4}"))
                            .unwrap_or("-".into()),
                        run.started_at.format("%Y-%m-%d %H:%M:%S")
                    );
                }
                s
            })
        }
        RunsCommand::Show { id } => {
            let run = r.run(&id).await?;
            emit(g.json, &run, |r| {
                serde_json::to_string_pretty(r).unwrap_or_default()
            })
        }
    }
}

fn version_line(v: &ModelVersion) -> String {
    format!(
        "{:<20} {:>4}  {:<10} {:>11}  {:<20} {}",
        v.name,
        v.version,
        v.stage.as_str(),
        v.f1_weighted()
            .map(|f| format!("{f:.4}"))
            .unwrap_or_else(|| "-".into()),
        v.aliases.join(","),
        v.created_at.format("%Y-%m-%d %H:%M:%S")
    )
}
