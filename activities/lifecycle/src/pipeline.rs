//! The lifecycle's steps over the capability crates, as the Training and WeeklyIngest workflows' activities run
//! them (crate `worker` adapts them to Temporal). Each step is idempotent, so a retried activity, a
//! second run of the same week or a resumed workflow changes nothing that is already done:
//!
//! - [`train_stage`]: the run id is derived from the dataset version, model type and run key; a run that
//!   already registered a version returns it; otherwise training checkpoints every epoch under the work
//!   folder and a retry after a crash resumes there; the artifact is staged content-addressed.
//! - [`evaluate_stage`]: scores the staged artifact on the fixed holdout.
//! - [`register_stage`]: registration is idempotent by artifact hash; the run is finished with its artifact.
//! - [`policy_stage`]: the decision is recorded once per version; a retry returns it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use contracts::lifecycle::{
    EvaluateInput, EvaluateOutput, PolicyOutput, RegisterInput, RegisterOutput, TrainModelInput,
    TrainModelOutput,
};
use data::Store;
use data::dataset::read_split;
use model::{LabeledText, ModelType, TrainConfig};
use registry::runs::NewRun;
use registry::{ModelVersion, Policy, RegisterRequest, Registry};

use crate::error::BadInput;

/// What the lifecycle steps share: the store, the registry over the artifact store, the model name, a local
/// work folder (training checkpoints) and who acts (recorded in runs and the audit log).
#[derive(Clone)]
pub struct Lifecycle {
    pub store: Store,
    pub registry: Registry,
    pub name: String,
    pub work_dir: PathBuf,
    pub actor: String,
    pub policy: Policy,
    /// The code the runs are trained by (the binary's git commit), recorded with each run.
    pub code_version: Option<String>,
}

/// The run metric challengers are compared by: the early-stopped model's weighted F1 on the validation rows.
pub const SELECTION_METRIC: &str = "selection_validation_f1";

/// The run id of a training: stable for the same dataset version, model type and run key.
pub fn run_id(dataset_id: &str, model_type: ModelType, run_key: Option<&str>) -> String {
    match run_key {
        Some(key) if !key.is_empty() => format!("train-{dataset_id}-{}-{key}", model_type.as_str()),
        _ => format!("train-{dataset_id}-{}", model_type.as_str()),
    }
}

/// The training seed of a keyed run: FNV-1a of the key (stable across versions and platforms).
pub fn seed_of_run_key(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Lifecycle {
    fn checkpoint_dir(&self, run_id: &str) -> PathBuf {
        self.work_dir.join("checkpoints").join(run_id)
    }

    /// Trains (or finds) the model of `input`; `progress` sees every step (the activity heartbeats from it).
    pub async fn train_stage(
        &self,
        input: &TrainModelInput,
        progress: impl FnMut(&model::Progress) + Send + 'static,
    ) -> anyhow::Result<TrainModelOutput> {
        self.train_stage_cancellable(input, progress, Default::default())
            .await
    }

    /// [`Lifecycle::train_stage`] whose training thread stops between two batches once `cancel` is set
    /// (`model::ModelError::Cancelled`; the run is recorded as cancelled, its checkpoint kept).
    /// Records a run as cancelled whose training finished before it saw the cancellation of its workflow:
    /// evaluation and registration will not run, so nothing else would end it.
    pub async fn cancel_trained_run(&self, output: &TrainModelOutput) -> anyhow::Result<()> {
        if output.registered_version.is_some() {
            return Ok(());
        }
        let note = serde_json::json!({ "error": "cancelled after training, before evaluation" });
        self.registry
            .finish_run(&output.run_id, "cancelled", &note, None, &self.actor)
            .await?;
        Ok(())
    }

    pub async fn train_stage_cancellable(
        &self,
        input: &TrainModelInput,
        progress: impl FnMut(&model::Progress) + Send + 'static,
        cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> anyhow::Result<TrainModelOutput> {
        let model_type: ModelType = input
            .model_type
            .parse()
            .map_err(|e| BadInput(format!("model type {:?}: {e}", input.model_type)))?;
        let dataset = self
            .store
            .dataset_version(&input.dataset_id)
            .await?
            .ok_or_else(|| {
                BadInput(format!(
                    "dataset version {} does not exist",
                    input.dataset_id
                ))
            })?;
        let mut cfg = TrainConfig::for_model(model_type);
        if let Some(key) = input.run_key.as_deref().filter(|k| !k.is_empty()) {
            // Another run of the same dataset is another draw (initial weights, order, augmentation): its seed
            // comes from its key, so that its retries (and resumed checkpoints) draw the same.
            cfg.seed = seed_of_run_key(key);
        }
        let run_id = run_id(dataset.id(), model_type, input.run_key.as_deref());
        let run = self
            .registry
            .start_run(&NewRun {
                run_id: Some(run_id.clone()),
                experiment: self.name.clone(),
                params: run_params(&cfg, &input.reason)?,
                dataset_version: Some(dataset.id().to_string()),
                dataset_sha256: Some(dataset.sha256.clone()),
                code_version: self.code_version.clone(),
                actor: self.actor.clone(),
            })
            .await?;
        // Registered before (a retried activity, a second run of the same week): that version, no retraining.
        // Training again would give the same weights but a new artifact hash (metrics.json records the time).
        if let Some(v) = self
            .registry
            .versions_of_run(&self.name, &run.id)
            .await?
            .into_iter()
            .next()
        {
            let validation_f1 = run
                .steps
                .get(SELECTION_METRIC)
                .and_then(|s| s.last())
                .map(|s| s.1);
            return Ok(TrainModelOutput {
                validation_f1,
                run_id: run.id,
                artifact_key: v.artifact_key.clone(),
                artifact_sha256: v.artifact_sha256.clone(),
                train_seconds: v
                    .metrics
                    .get("train_seconds")
                    .and_then(|t| t.as_f64())
                    .unwrap_or(0.0),
                epochs: 0,
                resumed_at_epoch: None,
                registered_version: Some(v.version),
            });
        }

        let train =
            labeled(read_split(&self.registry.artifacts, &dataset.manifest, "train").await?);
        let validation =
            labeled(read_split(&self.registry.artifacts, &dataset.manifest, "validation").await?);
        let checkpoints = self.checkpoint_dir(&run.id);
        std::fs::create_dir_all(&checkpoints)?;
        // The local folder first (this worker's own earlier attempt), else the store's copy (another worker's).
        let resumed_at_epoch =
            crate::checkpoints::restore(&self.registry.artifacts, &run.id, &checkpoints)
                .await
                .with_context(|| format!("restoring the checkpoint of run {}", run.id))?
                .map(|e| e as u32);
        if let Some(epoch) = resumed_at_epoch {
            tracing::info!(run = %run.id, epoch, "resuming training from its checkpoint");
        }
        cfg.checkpoint_dir = Some(checkpoints.clone());
        let staged = tempfile::tempdir()?;
        let out = staged.path().to_path_buf();
        let (handle, artifacts, run_id) = (
            tokio::runtime::Handle::current(),
            self.registry.artifacts.clone(),
            run.id.clone(),
        );
        let trained = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            // Each committed epoch goes to the store before the next one starts. A store that does not answer
            // costs the copy, not the training: the local checkpoint still holds it.
            let mirror = |dir: &Path, epoch: usize| {
                if let Err(e) = handle.block_on(crate::checkpoints::upload(&artifacts, &run_id, dir)) {
                    tracing::warn!(run = %run_id, epoch, error = %format!("{e:#}"), "checkpoint not copied to the artifact store");
                }
            };
            let trained =
                model::train_checkpointed(&train, &validation, &cfg, progress, mirror, &cancel)?;
            trained.save(&out)?;
            Ok(trained.report)
        })
        .await
        .map_err(anyhow::Error::from)
        .and_then(|r| r);
        let report = match trained {
            Ok(r) => r,
            Err(e) => {
                // The run says how it ended; the error still goes up (a retry starts the same run again).
                let failure = serde_json::json!({ "error": format!("{e:#}") });
                let cancelled = matches!(
                    e.downcast_ref::<model::ModelError>(),
                    Some(model::ModelError::Cancelled)
                );
                let status = if cancelled { "cancelled" } else { "failed" };
                if let Err(record) = self
                    .registry
                    .finish_run(&run.id, status, &failure, None, &self.actor)
                    .await
                {
                    tracing::warn!(error = %record, run = %run.id, "could not record the failed run");
                }
                return Err(e);
            }
        };
        for e in &report.history {
            self.registry
                .log_metric(&run.id, "train_loss", e.epoch as i64, e.train_loss as f64)
                .await?;
            self.registry
                .log_metric(
                    &run.id,
                    "validation_f1_weighted",
                    e.epoch as i64,
                    e.validation_f1_weighted,
                )
                .await?;
        }
        self.registry
            .log_metric(&run.id, SELECTION_METRIC, 0, report.validation.f1_weighted)
            .await?;
        if let Some(c) = &report.calibration {
            for (name, value) in [
                ("temperature", f64::from(c.temperature)),
                ("validation_ece_before", c.ece_before),
                ("validation_ece_after", c.ece_after),
            ]
            .into_iter()
            .chain(c.top.iter().flat_map(|t| {
                [
                    ("top_scaling_slope", f64::from(t.slope)),
                    ("top_scaling_intercept", f64::from(t.intercept)),
                ]
            })) {
                self.registry.log_metric(&run.id, name, 0, value).await?;
            }
        }
        let (key, sha) =
            registry::artifact::stage(&self.registry.artifacts, &self.name, staged.path()).await?;
        // The artifact is safe in the store: the checkpoints have done their job.
        let _ = std::fs::remove_dir_all(&checkpoints);
        if let Err(e) = crate::checkpoints::remove(&self.registry.artifacts, &run.id).await {
            tracing::warn!(run = %run.id, error = %format!("{e:#}"), "checkpoint left in the artifact store");
        }
        Ok(TrainModelOutput {
            run_id: run.id,
            artifact_key: key,
            artifact_sha256: sha,
            train_seconds: report.train_seconds,
            epochs: report.history.len() as u32,
            resumed_at_epoch,
            registered_version: None,
            validation_f1: Some(report.validation.f1_weighted),
        })
    }

    /// Scores the staged artifact on the fixed holdout; the metrics the registry records with the version.
    pub async fn evaluate_stage(&self, input: &EvaluateInput) -> anyhow::Result<EvaluateOutput> {
        let dir = tempfile::tempdir()?;
        self.fetch(&input.artifact_key, &input.artifact_sha256, dir.path())
            .await?;
        let (holdout_id, holdout) = self.store.holdout().await?;
        let holdout = labeled(holdout);
        let path = dir.path().to_path_buf();
        let metrics = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let classifier = model::Classifier::load(&path)?;
            Ok(classifier.evaluate(&holdout)?)
        })
        .await??;
        let mut json = holdout_metrics(&metrics, &holdout_id);
        json["train_seconds"] = serde_json::json!(input.train_seconds);
        Ok(EvaluateOutput {
            holdout_id,
            f1_weighted: metrics.f1_weighted,
            metrics: json,
        })
    }

    /// Registers the staged artifact (idempotent by its hash) and finishes the run with it.
    pub async fn register_stage(&self, input: &RegisterInput) -> anyhow::Result<RegisterOutput> {
        let dir = tempfile::tempdir()?;
        self.fetch(&input.artifact_key, &input.artifact_sha256, dir.path())
            .await?;
        let req = RegisterRequest {
            run_id: Some(input.run_id.clone()),
            dataset_version: Some(input.dataset_id.clone()),
            metrics: input.metrics.clone(),
            holdout_id: Some(input.holdout_id.clone()),
            actor: self.actor.clone(),
        };
        let (version, created) = self.registry.register(&self.name, dir.path(), &req).await?;
        // The challengers not chosen: finished as discarded, with why (their artifacts stay staged, unregistered).
        for (run_id, why) in &input.discarded {
            let run = self.registry.run(run_id).await?;
            if run.status == "running" {
                self.registry
                    .finish_run(
                        run_id,
                        "discarded",
                        &serde_json::json!({ "discarded": why, "chosen": input.run_id }),
                        None,
                        &self.actor,
                    )
                    .await?;
            }
        }
        let run = self.registry.run(&input.run_id).await?;
        if run.status != "finished" {
            self.registry
                .finish_run(
                    &input.run_id,
                    "finished",
                    &input.metrics,
                    Some((&version.artifact_uri, &version.artifact_sha256)),
                    &self.actor,
                )
                .await?;
        }
        Ok(RegisterOutput {
            name: self.name.clone(),
            version: version.version,
            created,
        })
    }

    /// The promotion decision for `version`: the recorded one, or made now (and recorded, in one transaction
    /// with the promotion).
    pub async fn policy_stage(&self, version: i64) -> anyhow::Result<PolicyOutput> {
        let decision = match self.registry.last_decision(&self.name, version).await? {
            Some(d) => d,
            None => {
                let paired = self.paired_with_champion(version).await?;
                self.registry
                    .apply_policy_paired(
                        &self.name,
                        version,
                        &self.policy,
                        &self.actor,
                        paired.as_ref(),
                    )
                    .await?
            }
        };
        Ok(PolicyOutput {
            promoted: decision.promote,
            delta_f1: decision.paired.as_ref().map(|p| p.delta_f1),
            interval: decision.paired.as_ref().map(|p| (p.ci_low, p.ci_high)),
            reason: decision.reason,
            champion_version: decision.champion.map(|c| c.version),
        })
    }

    /// The candidate `version` and the Production version scored on the same holdout rows (both loaded from
    /// the artifact store), for the policy's paired comparison. `None` when there is nothing to pair: no
    /// champion, the candidate is the champion, they were evaluated on different holdouts, or an artifact is
    /// bad (the policy then refuses the candidate, or judges by the recorded scores). A store that does not
    /// answer is an error: the caller retries, nothing is decided.
    pub async fn paired_with_champion(
        &self,
        version: i64,
    ) -> anyhow::Result<Option<registry::Paired>> {
        let Some(champion) = self.registry.production(&self.name).await? else {
            return Ok(None);
        };
        let candidate = self.registry.version(&self.name, version).await?;
        if champion.version == version || candidate.holdout_id != champion.holdout_id {
            return Ok(None);
        }
        let (holdout_id, rows) = self.store.holdout().await?;
        if candidate.holdout_id.as_deref() != Some(holdout_id.as_str()) {
            return Ok(None);
        }
        let mut models = Vec::with_capacity(2);
        for v in [&candidate, &champion] {
            match load_version(&self.registry, v).await {
                Ok(m) => models.push(m),
                Err(e)
                    if matches!(
                        e.downcast_ref(),
                        Some(registry::RegistryError::BadArtifact { .. })
                    ) =>
                {
                    tracing::warn!(version = v.version, error = %format!("{e:#}"), "no paired comparison");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
        let labels: Vec<i64> = rows.iter().map(|r| r.prdtypecode).collect();
        let policy = self.policy;
        let champion_version = champion.version;
        let paired = tokio::task::spawn_blocking(move || -> anyhow::Result<registry::Paired> {
            let items: Vec<model::ProductText<'_>> = rows
                .iter()
                .map(|r| model::ProductText {
                    designation: &r.designation,
                    description: &r.description,
                })
                .collect();
            let predict = |m: &model::Classifier| -> anyhow::Result<Vec<i64>> {
                Ok(m.predict_batch(&items, 1)?
                    .iter()
                    .map(|p| p.predicted_class)
                    .collect())
            };
            let (a, b) = (predict(&models[0])?, predict(&models[1])?);
            // Seeded by the pair: the same comparison draws the same resamples.
            let seed = (version as u64) << 32 | champion_version as u64;
            Ok(registry::policy::paired_comparison(
                &policy,
                champion_version,
                &holdout_id,
                &labels,
                &a,
                &b,
                seed,
            ))
        })
        .await??;
        Ok(Some(paired))
    }

    async fn fetch(&self, key: &str, sha: &str, dir: &Path) -> anyhow::Result<()> {
        registry::artifact::download(&self.registry.artifacts, key, sha, dir)
            .await
            .map_err(|problem| anyhow::anyhow!("staged artifact {key}: {problem}"))
    }
}

/// A run's recorded parameters: the training config and why the run happened.
fn run_params(cfg: &TrainConfig, reason: &str) -> anyhow::Result<serde_json::Value> {
    let mut params = serde_json::to_value(cfg)?;
    params["reason"] = serde_json::json!(reason);
    Ok(params)
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

/// What the registry keeps of an evaluation: headline scores, per-class F1, the confusion matrix (rows: true
/// class, columns: predicted, in the order of `labels`), the holdout it ran on.
pub fn holdout_metrics(m: &model::Metrics, holdout_id: &str) -> serde_json::Value {
    let per_class: BTreeMap<String, f64> = m
        .per_class
        .iter()
        .map(|c| (c.label.to_string(), c.f1))
        .collect();
    serde_json::json!({
        "accuracy": m.accuracy, "f1_weighted": m.f1_weighted, "f1_macro": m.f1_macro,
        "holdout_rows": m.count, "holdout_id": holdout_id, "per_class_f1": per_class,
        "labels": m.labels, "confusion": m.confusion,
    })
}
