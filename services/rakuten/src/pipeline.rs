//! Training a dataset version into a registered, policy-checked model version: the step that `rakuten up`
//! runs today and that the Training workflow's activities will run (issue 7). Idempotent: the run id is
//! derived from the dataset version and model type, and registration is idempotent by artifact hash.

use data::dataset::read_split;
use data::{DatasetVersion, Store};
use model::{LabeledText, ModelType, TrainConfig};
use registry::runs::NewRun;
use registry::{Decision, ModelVersion, Policy, RegisterRequest, Registry};
use serde::Serialize;

use crate::commands::model_cmd::holdout_metrics;

#[derive(Debug, Serialize)]
pub struct TrainOutcome {
    pub run_id: String,
    pub version: ModelVersion,
    pub created: bool,
    pub decision: Decision,
    pub train_seconds: f64,
}

pub async fn train_and_register(
    store: &Store,
    registry: &Registry,
    dataset: &DatasetVersion,
    model_type: ModelType,
    name: &str,
    policy: &Policy,
    actor: &str,
) -> anyhow::Result<TrainOutcome> {
    let cfg = TrainConfig::for_model(model_type);
    let run_id = format!("train-{}-{}", dataset.id(), model_type.as_str());
    let run = registry
        .start_run(&NewRun {
            run_id: Some(run_id.clone()),
            experiment: name.to_string(),
            params: serde_json::to_value(&cfg)?,
            dataset_version: Some(dataset.id().to_string()),
            dataset_sha256: Some(dataset.sha256.clone()),
            code_version: option_env!("RAKUTEN_GIT_SHA").map(str::to_string),
            actor: actor.to_string(),
        })
        .await?;
    // Done before (a retried activity, a second `up`): the version registered from this run, and its decision
    // (made now if the earlier attempt stopped before it). Training again would give the same weights but a
    // new artifact hash, since metrics.json records the training time.
    if let Some(version) = registry
        .versions_of_run(name, &run.id)
        .await?
        .into_iter()
        .next()
    {
        let decision = match registry.last_decision(name, version.version).await? {
            Some(d) => d,
            None => {
                registry
                    .apply_policy(name, version.version, policy, actor)
                    .await?
            }
        };
        if run.status != "finished" {
            let artifact = (
                version.artifact_uri.as_str(),
                version.artifact_sha256.as_str(),
            );
            registry
                .finish_run(&run.id, "finished", &version.metrics, Some(artifact), actor)
                .await?;
        }
        let version = registry.version(name, version.version).await?;
        let train_seconds = version
            .metrics
            .get("train_seconds")
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        return Ok(TrainOutcome {
            run_id: run.id,
            version,
            created: false,
            decision,
            train_seconds,
        });
    }

    let train = labeled(read_split(&registry.artifacts, &dataset.manifest, "train").await?);
    let validation =
        labeled(read_split(&registry.artifacts, &dataset.manifest, "validation").await?);
    let (holdout_id, holdout) = store.holdout().await?;
    let holdout = labeled(holdout);

    let dir = tempfile::tempdir()?;
    let out = dir.path().to_path_buf();
    let trained = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let trained = model::train(&train, &validation, &cfg, log_epoch)?;
        trained.save(&out)?;
        let metrics = trained.classifier.evaluate(&holdout)?;
        Ok((trained.report, metrics))
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|r| r);
    let (report, metrics) = match trained {
        Ok(t) => t,
        Err(e) => {
            // The run says how it ended; the error still goes up (a retry starts the same run again).
            let failure = serde_json::json!({ "error": format!("{e:#}") });
            if let Err(record) = registry
                .finish_run(&run.id, "failed", &failure, None, actor)
                .await
            {
                tracing::warn!(error = %record, run = %run.id, "could not record the failed run");
            }
            return Err(e);
        }
    };
    for e in &report.history {
        registry
            .log_metric(&run.id, "train_loss", e.epoch as i64, e.train_loss as f64)
            .await?;
        registry
            .log_metric(
                &run.id,
                "validation_f1_weighted",
                e.epoch as i64,
                e.validation_f1_weighted,
            )
            .await?;
    }
    let mut metrics_json = holdout_metrics(&metrics, &holdout_id);
    metrics_json["train_seconds"] = serde_json::json!(report.train_seconds);
    let req = RegisterRequest {
        run_id: Some(run.id.clone()),
        dataset_version: Some(dataset.id().to_string()),
        metrics: metrics_json.clone(),
        holdout_id: Some(holdout_id),
        actor: actor.to_string(),
    };
    let (version, created) = registry.register(name, dir.path(), &req).await?;
    registry
        .finish_run(
            &run.id,
            "finished",
            &metrics_json,
            Some((&version.artifact_uri, &version.artifact_sha256)),
            actor,
        )
        .await?;
    let decision = registry
        .apply_policy(name, version.version, policy, actor)
        .await?;
    let version = registry.version(name, version.version).await?;
    Ok(TrainOutcome {
        run_id: run.id,
        version,
        created,
        decision,
        train_seconds: report.train_seconds,
    })
}

/// The training progress callback: one log line per finished epoch.
pub fn log_epoch(p: &model::Progress) {
    if let Some(f1) = p.validation_f1_weighted {
        tracing::info!(
            epoch = p.epoch,
            loss = p.loss,
            validation_f1_weighted = f1,
            refit = p.refit,
            "epoch done"
        );
    }
}

/// Dataset rows as the model reads them.
pub fn labeled(rows: Vec<data::DatasetRow>) -> Vec<LabeledText> {
    rows.into_iter()
        .map(|r| LabeledText {
            designation: r.designation,
            description: r.description,
            label: r.prdtypecode,
        })
        .collect()
}

/// The Production version of `name`, downloaded (verified) and loaded; `None` when nothing is in Production.
pub async fn load_production(
    registry: &Registry,
    name: &str,
) -> anyhow::Result<Option<(ModelVersion, model::Classifier)>> {
    let Some(version) = registry.production(name).await? else {
        return Ok(None);
    };
    let classifier = load_version(registry, &version).await?;
    Ok(Some((version, classifier)))
}

/// One version's artifact, downloaded (verified) into a temporary folder and loaded off the runtime.
pub async fn load_version(
    registry: &Registry,
    version: &ModelVersion,
) -> anyhow::Result<model::Classifier> {
    let dir = tempfile::tempdir()?;
    registry.download(version, dir.path()).await?;
    let path = dir.path().to_path_buf();
    Ok(tokio::task::spawn_blocking(move || model::Classifier::load(&path)).await??)
}
