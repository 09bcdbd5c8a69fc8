//! `rakuten model …` (offline train / eval / predict on files) and `rakuten models register` (score on the
//! fixed holdout, then register). Candle work runs on a blocking thread, off the async runtime.

use std::path::PathBuf;

use model::{Classifier, ModelType, TrainConfig};
use registry::{Policy, RegisterRequest, Registry};
use std::collections::BTreeMap;

use serde::Serialize;

use super::{BadInput, open_store};
use crate::cli::{Global, ModelCommand, RegisterArgs};
use crate::output::{Progress, emit};

pub async fn run(g: &Global, cmd: ModelCommand) -> anyhow::Result<()> {
    match cmd {
        ModelCommand::Train {
            data,
            out,
            model_type,
            seed,
            validation_fraction,
        } => {
            let model_type: ModelType = match model_type {
                Some(t) => t
                    .parse()
                    .map_err(|e| BadInput(format!("--model-type: {e}")))?,
                None => ModelType::DEFAULT,
            };
            let json = g.json;
            let report = blocking(move || {
                train_files(&data, &out, model_type, seed, validation_fraction, json)
            })
            .await?;
            emit(g.json, &report, |r| {
                format!(
                    "{} trained in {:.1}s on {} rows: validation accuracy {:.4}, f1_weighted {:.4}, f1_macro {:.4}\n  saved to {}",
                    r.model_type,
                    r.train_seconds,
                    r.train_rows,
                    r.accuracy,
                    r.f1_weighted,
                    r.f1_macro,
                    r.out.display()
                )
            })
        }
        ModelCommand::Eval { model, data } => {
            let metrics = blocking(move || {
                let classifier = Classifier::load(&model)?;
                let rows = model::read_merged_csv(&data)?;
                Ok(classifier.evaluate(&rows)?)
            })
            .await?;
            emit(g.json, &metrics, |m| {
                format!(
                    "{} rows: accuracy {:.4}, f1_weighted {:.4}, f1_macro {:.4}",
                    m.count, m.accuracy, m.f1_weighted, m.f1_macro
                )
            })
        }
        ModelCommand::Predict {
            model,
            designation,
            description,
            top_k,
        } => {
            if designation.trim().is_empty() {
                return Err(BadInput("--designation must not be empty".into()).into());
            }
            let p = blocking(move || {
                let classifier = Classifier::load(&model)?;
                let p = classifier.predict(&designation, &description, top_k.max(1))?;
                Ok(PredictOut {
                    predicted_class: p.predicted_class,
                    confidence: p.confidence,
                    probabilities: p.top_k.iter().map(|(c, p)| (c.to_string(), *p)).collect(),
                    model_type: classifier.config().model_type.as_str().to_string(),
                })
            })
            .await?;
            emit(g.json, &p, |p| {
                format!("{} (confidence {:.3})", p.predicted_class, p.confidence)
            })
        }
    }
}

#[derive(Serialize)]
struct PredictOut {
    predicted_class: i64,
    confidence: f32,
    probabilities: BTreeMap<String, f32>,
    model_type: String,
}

#[derive(Serialize)]
struct TrainOut {
    model_type: String,
    out: PathBuf,
    train_rows: usize,
    validation_rows: usize,
    train_seconds: f64,
    best_epoch: usize,
    accuracy: f64,
    f1_weighted: f64,
    f1_macro: f64,
}

fn train_files(
    data: &std::path::Path,
    out: &std::path::Path,
    model_type: ModelType,
    seed: u64,
    validation_fraction: f64,
    json: bool,
) -> anyhow::Result<TrainOut> {
    if !(0.0 < validation_fraction && validation_fraction < 0.9) {
        return Err(BadInput(format!(
            "--validation-fraction must be in (0, 0.9), got {validation_fraction}"
        ))
        .into());
    }
    let rows = model::read_merged_csv(data)?;
    let (train, validation) = model::stratified_split(&rows, validation_fraction, seed);
    let cfg = TrainConfig {
        seed,
        ..TrainConfig::for_model(model_type)
    };
    let mut bar = Progress::new(format!("training {model_type}"), json);
    bar.line(&format!(
        "{} training rows, {} validation rows",
        train.len(),
        validation.len()
    ));
    let trained = model::train(&train, &validation, &cfg, |p| {
        let phase = if p.refit { "refit epoch" } else { "epoch" };
        match p.validation_f1_weighted {
            Some(f1) => bar.line(&format!(
                "{phase} {}/{} done: loss {:.4}, validation f1_weighted {f1:.4}",
                p.epoch + 1,
                p.max_epochs,
                p.loss
            )),
            None if p.refit && p.step + 1 == p.steps_per_epoch => {
                bar.line(&format!("{phase} {} done: loss {:.4}", p.epoch + 1, p.loss))
            }
            None => bar.update(
                p.step as u64 + 1,
                p.steps_per_epoch as u64,
                &format!(
                    "{phase} {} (max {}), loss {:.4}",
                    p.epoch + 1,
                    p.max_epochs,
                    p.loss
                ),
            ),
        }
    })?;
    bar.finish();
    trained.save(out)?;
    let r = &trained.report;
    Ok(TrainOut {
        model_type: model_type.as_str().to_string(),
        out: out.to_path_buf(),
        train_rows: r.train_rows,
        validation_rows: r.validation_rows,
        train_seconds: r.train_seconds,
        best_epoch: r.best_epoch,
        accuracy: r.validation.accuracy,
        f1_weighted: r.validation.f1_weighted,
        f1_macro: r.validation.f1_macro,
    })
}

/// Scores the folder on the fixed holdout, registers it, and applies the policy when asked.
pub async fn register(g: &Global, r: &Registry, args: RegisterArgs) -> anyhow::Result<()> {
    let store = open_store(g).await?;
    let (holdout_id, rows) = store.holdout().await?;
    let dir = args.model_dir.clone();
    let metrics = blocking(move || {
        let classifier = Classifier::load(&dir)?;
        Ok(classifier.evaluate(&lifecycle::pipeline::labeled(rows))?)
    })
    .await?;
    let req = RegisterRequest {
        metrics: lifecycle::pipeline::holdout_metrics(&metrics, &holdout_id),
        holdout_id: Some(holdout_id),
        actor: g.actor(),
        ..Default::default()
    };
    let (version, created) = r.register(&args.name, &args.model_dir, &req).await?;
    let decision = if args.promote {
        // Judged as the workflows judge: paired with the champion on the same holdout rows.
        let lc = lifecycle::Lifecycle {
            store,
            registry: r.clone(),
            name: args.name.clone(),
            work_dir: std::env::temp_dir(),
            actor: g.actor(),
            policy: Policy::default(),
            code_version: None,
        };
        let paired = lc.paired_with_champion(version.version).await?;
        Some(
            r.apply_policy_paired(
                &args.name,
                version.version,
                &lc.policy,
                &g.actor(),
                paired.as_ref(),
            )
            .await?,
        )
    } else {
        None
    };
    let version = r.version(&args.name, version.version).await?;
    let report =
        serde_json::json!({ "version": version, "created": created, "decision": decision });
    emit(g.json, &report, |_| {
        let mut s = format!(
            "{} v{} {} (holdout f1_weighted {:.4}, stage {})",
            version.name,
            version.version,
            if created {
                "registered"
            } else {
                "already registered: same artifact"
            },
            metrics.f1_weighted,
            version.stage.as_str()
        );
        if let Some(d) = &decision {
            s.push_str(&format!(
                "\npolicy: {} — {}",
                if d.promote {
                    "promoted"
                } else {
                    "not promoted"
                },
                d.reason
            ));
        }
        s
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}
