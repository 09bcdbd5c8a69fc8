//! Registered models and their versions: registration, stages, aliases, promotion and rollback.

use std::path::Path;

use chrono::{DateTime, Utc};
use data::{audit, with_pool};
use serde::{Deserialize, Serialize};

use crate::Registry;
use crate::artifact::{self, key_for};
use crate::error::{RegistryError, Result};
use crate::notify::CHANNEL;
use crate::policy::{Decision, Policy, Scored};
use crate::sql::{notify, promote_locked, set_alias, set_stage};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    None,
    Staging,
    Production,
    Archived,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::None => "None",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Archived => "Archived",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = RegistryError;
    fn from_str(s: &str) -> Result<Stage> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Stage::None),
            "staging" => Ok(Stage::Staging),
            "production" => Ok(Stage::Production),
            "archived" => Ok(Stage::Archived),
            _ => Err(RegistryError::InvalidArgument(format!(
                "unknown stage {s:?}: expected None, Staging, Production or Archived"
            ))),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ModelVersion {
    pub name: String,
    pub version: i64,
    pub stage: Stage,
    pub aliases: Vec<String>,
    pub run_id: Option<String>,
    pub dataset_version: Option<String>,
    pub artifact_uri: String,
    pub artifact_key: String,
    pub artifact_sha256: String,
    pub metrics: serde_json::Value,
    pub holdout_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub actor: String,
}

impl ModelVersion {
    /// The weighted F1 on the fixed holdout, as recorded at registration.
    pub fn f1_weighted(&self) -> Option<f64> {
        self.metrics.get("f1_weighted").and_then(|v| v.as_f64())
    }

    pub fn scored(&self) -> Option<Scored> {
        Some(Scored {
            version: self.version,
            f1_weighted: self.f1_weighted()?,
            holdout_id: self.holdout_id.clone(),
        })
    }
}

#[derive(Clone, Debug, Default)]
pub struct RegisterRequest {
    pub run_id: Option<String>,
    pub dataset_version: Option<String>,
    /// Holdout metrics; `f1_weighted` is what the promotion policy reads.
    pub metrics: serde_json::Value,
    pub holdout_id: Option<String>,
    pub actor: String,
}

/// A version as stored: stage and metrics still text, aliases in their own table.
#[derive(sqlx::FromRow)]
struct VersionRow {
    name: String,
    version: i64,
    stage: String,
    run_id: Option<String>,
    dataset_version: Option<String>,
    artifact_key: String,
    artifact_sha256: String,
    metrics: String,
    holdout_id: Option<String>,
    created_at: DateTime<Utc>,
    actor: String,
}
const VERSION_COLUMNS: &str = "name, version, stage, run_id, dataset_version, artifact_key, artifact_sha256, metrics, \
                               holdout_id, created_at, actor";

impl Registry {
    /// Uploads the model folder `dir` and registers it as a new version of `name` — or returns the version
    /// that already holds exactly these files (registration is idempotent by the artifact's sha256).
    pub async fn register(
        &self,
        name: &str,
        dir: &Path,
        req: &RegisterRequest,
    ) -> Result<(ModelVersion, bool)> {
        check_name(name)?;
        let (manifest, files) = artifact::read_dir(dir)?;
        let sha = manifest.sha256();
        if let Some(v) = self.version_by_sha(name, &sha).await? {
            return Ok((v, false));
        }
        let key = key_for(name, &sha);
        artifact::upload(&self.artifacts, &key, &manifest, &files).await?;
        let now = Utc::now();
        let metrics = serde_json::to_string(&req.metrics)?;
        let created = with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO registered_models (name, description, generation, created_at, updated_at) \
                 VALUES ($1, '', 0, $2, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // Lock the model row: versions are numbered one at a time.
            sqlx::query("UPDATE registered_models SET updated_at = $1 WHERE name = $2").bind(now).bind(name).execute(&mut *tx).await?;
            let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            let n = sqlx::query(
                "INSERT INTO model_versions (name, version, run_id, dataset_version, artifact_key, artifact_sha256, metrics, \
                 holdout_id, stage, created_at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'None', $9, $10) \
                 ON CONFLICT (name, artifact_sha256) DO NOTHING",
            )
            .bind(name)
            .bind(next)
            .bind(&req.run_id)
            .bind(&req.dataset_version)
            .bind(&key)
            .bind(&sha)
            .bind(&metrics)
            .bind(&req.holdout_id)
            .bind(now)
            .bind(&req.actor)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                audit!(tx, &req.actor, "register_model_version", "model_version", format!("{name}/{next}"), serde_json::json!({
                    "artifact_sha256": sha, "artifact_uri": self.artifacts.url_of(&key), "run_id": req.run_id,
                    "dataset_version": req.dataset_version, "metrics": req.metrics,
                }))?;
            }
            tx.commit().await?;
            n == 1
        });
        let v = self
            .version_by_sha(name, &sha)
            .await?
            .ok_or_else(|| RegistryError::NotFound(format!("{name} @ {sha}")))?;
        Ok((v, created))
    }

    pub async fn version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        let row: Option<VersionRow> = with_pool!(self.store, p => {
            sqlx::query_as(&format!("SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = $1 AND version = $2"))
                .bind(name).bind(version).fetch_optional(p).await?
        });
        match row {
            Some(r) => self.with_aliases(r).await,
            None => Err(RegistryError::NotFound(format!(
                "model {name} version {version}"
            ))),
        }
    }

    async fn version_by_sha(&self, name: &str, sha: &str) -> Result<Option<ModelVersion>> {
        let row: Option<VersionRow> = with_pool!(self.store, p => {
            sqlx::query_as(&format!("SELECT {VERSION_COLUMNS} FROM model_versions WHERE name = $1 AND artifact_sha256 = $2"))
                .bind(name).bind(sha).fetch_optional(p).await?
        });
        match row {
            Some(r) => Ok(Some(self.with_aliases(r).await?)),
            None => Ok(None),
        }
    }

    /// Every version of every model (or of `name`), newest first.
    pub async fn versions(&self, name: Option<&str>) -> Result<Vec<ModelVersion>> {
        let rows: Vec<VersionRow> = with_pool!(self.store, p => {
            sqlx::query_as(&format!(
                "SELECT {VERSION_COLUMNS} FROM model_versions WHERE $1 IS NULL OR name = $1 ORDER BY name, version DESC"
            ))
            .bind(name).fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_aliases(r).await?);
        }
        Ok(out)
    }

    /// The Production version of `name`, if any.
    pub async fn production(&self, name: &str) -> Result<Option<ModelVersion>> {
        let v: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT version FROM model_versions WHERE name = $1 AND stage = 'Production'")
                .bind(name).fetch_optional(p).await?
        });
        match v {
            Some(v) => Ok(Some(self.version(name, v).await?)),
            None => Ok(None),
        }
    }

    async fn with_aliases(&self, r: VersionRow) -> Result<ModelVersion> {
        let aliases: Vec<String> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT alias FROM model_aliases WHERE name = $1 AND version = $2 ORDER BY alias")
                .bind(&r.name).bind(r.version).fetch_all(p).await?
        });
        Ok(ModelVersion {
            stage: r.stage.parse()?,
            artifact_uri: self.artifacts.url_of(&r.artifact_key),
            metrics: serde_json::from_str(&r.metrics)?,
            aliases,
            name: r.name,
            version: r.version,
            run_id: r.run_id,
            dataset_version: r.dataset_version,
            artifact_key: r.artifact_key,
            artifact_sha256: r.artifact_sha256,
            holdout_id: r.holdout_id,
            created_at: r.created_at,
            actor: r.actor,
        })
    }

    /// Checks the version's artifact is complete and intact.
    pub async fn verify_artifact(&self, v: &ModelVersion) -> Result<()> {
        artifact::verify(&self.artifacts, &v.artifact_key, &v.artifact_sha256)
            .await
            .map(|_| ())
            .map_err(|problem| artifact_error(v, problem))
    }

    /// Downloads the verified artifact of `v` into `dir`.
    pub async fn download(&self, v: &ModelVersion, dir: &Path) -> Result<()> {
        artifact::download(&self.artifacts, &v.artifact_key, &v.artifact_sha256, dir)
            .await
            .map_err(|problem| artifact_error(v, problem))
    }

    /// Moves `version` to `stage`. To Production: the artifact is verified first, the previous Production
    /// version is archived in the same transaction, and the `champion` alias follows.
    pub async fn transition(
        &self,
        name: &str,
        version: i64,
        stage: Stage,
        actor: &str,
        reason: &str,
    ) -> Result<ModelVersion> {
        let target = self.version(name, version).await?;
        if stage == Stage::Production {
            self.verify_artifact(&target).await?;
        }
        let now = Utc::now();
        with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let generation: i64 = sqlx::query_scalar(
                "UPDATE registered_models SET generation = generation + 1, updated_at = $1 WHERE name = $2 RETURNING generation",
            )
            .bind(now).bind(name).fetch_one(&mut *tx).await?;
            let current: String = sqlx::query_scalar("SELECT stage FROM model_versions WHERE name = $1 AND version = $2")
                .bind(name).bind(version).fetch_one(&mut *tx).await?;
            if current == stage.as_str() {
                tx.rollback().await?;
                return self.version(name, version).await;
            }
            if stage == Stage::Production {
                promote_locked!(tx, name, version, &current, actor, reason, now);
            } else {
                set_stage!(tx, name, version, &current, stage.as_str(), actor, reason, now);
                if current == "Production" {
                    sqlx::query("UPDATE production_history SET ended_at = $1 WHERE name = $2 AND ended_at IS NULL")
                        .bind(now).bind(name).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM model_aliases WHERE name = $1 AND alias = 'champion'")
                        .bind(name).execute(&mut *tx).await?;
                }
            }
            notify!(self.store, tx, name, generation);
            tx.commit().await?;
        });
        tracing::info!(
            name,
            version,
            stage = stage.as_str(),
            actor,
            "model version transitioned"
        );
        self.version(name, version).await
    }

    /// Points `alias` at `version` (free-form aliases; `champion` follows Production by itself).
    pub async fn set_alias(
        &self,
        name: &str,
        alias: &str,
        version: i64,
        actor: &str,
    ) -> Result<()> {
        check_name(alias)?;
        if alias == "champion" {
            return Err(RegistryError::InvalidArgument(
                "the champion alias follows the Production version: promote instead".into(),
            ));
        }
        self.version(name, version).await?;
        let now = Utc::now();
        with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let generation: i64 = sqlx::query_scalar(
                "UPDATE registered_models SET generation = generation + 1, updated_at = $1 WHERE name = $2 RETURNING generation",
            ).bind(now).bind(name).fetch_one(&mut *tx).await?;
            set_alias!(tx, name, alias, version, now);
            audit!(tx, actor, "set_alias", "model_alias", format!("{name}@{alias}"), serde_json::json!({ "version": version }))?;
            notify!(self.store, tx, name, generation);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes `alias` from the model (whatever version it names); false when it named none.
    pub async fn remove_alias(&self, name: &str, alias: &str, actor: &str) -> Result<bool> {
        check_name(alias)?;
        if alias == "champion" {
            return Err(RegistryError::InvalidArgument(
                "the champion alias follows the Production version: it cannot be removed".into(),
            ));
        }
        let now = Utc::now();
        let removed = with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let removed: Option<i64> = sqlx::query_scalar(
                "DELETE FROM model_aliases WHERE name = $1 AND alias = $2 RETURNING version",
            ).bind(name).bind(alias).fetch_optional(&mut *tx).await?;
            if let Some(version) = removed {
                let generation: i64 = sqlx::query_scalar(
                    "UPDATE registered_models SET generation = generation + 1, updated_at = $1 WHERE name = $2 RETURNING generation",
                ).bind(now).bind(name).fetch_one(&mut *tx).await?;
                audit!(tx, actor, "remove_alias", "model_alias", format!("{name}@{alias}"), serde_json::json!({ "version": version }))?;
                notify!(self.store, tx, name, generation);
            }
            tx.commit().await?;
            removed.is_some()
        });
        Ok(removed)
    }

    /// The version `alias` names, if any.
    pub async fn aliased(&self, name: &str, alias: &str) -> Result<Option<ModelVersion>> {
        let version: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT version FROM model_aliases WHERE name = $1 AND alias = $2")
                .bind(name).bind(alias).fetch_optional(p).await?
        });
        match version {
            Some(v) => Ok(Some(self.version(name, v).await?)),
            None => Ok(None),
        }
    }

    /// Back to the version that was Production before the current one (skipping versions rolled back from).
    pub async fn rollback(&self, name: &str, actor: &str, reason: &str) -> Result<ModelVersion> {
        let history: Vec<(i64, i64, Option<DateTime<Utc>>, bool)> = with_pool!(self.store, p => {
            sqlx::query_as("SELECT id, version, ended_at, rolled_back FROM production_history WHERE name = $1 ORDER BY id DESC")
                .bind(name).fetch_all(p).await?
        });
        let Some(&(current_id, current, None, _)) = history.first() else {
            return Err(RegistryError::NothingToRollBack(name.into()));
        };
        let target = history
            .iter()
            .skip(1)
            .find(|(_, v, _, rolled_back)| !rolled_back && *v != current)
            .map(|h| h.1)
            .ok_or_else(|| RegistryError::NothingToRollBack(name.into()))?;
        let restored = self.version(name, target).await?;
        self.verify_artifact(&restored).await?;
        let now = Utc::now();
        with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let generation: i64 = sqlx::query_scalar(
                "UPDATE registered_models SET generation = generation + 1, updated_at = $1 WHERE name = $2 RETURNING generation",
            ).bind(now).bind(name).fetch_one(&mut *tx).await?;
            // Someone else changed Production meanwhile: refuse rather than undo their change.
            let still: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM production_history WHERE name = $1 AND ended_at IS NULL AND id = $2",
            ).bind(name).bind(current_id).fetch_optional(&mut *tx).await?;
            if still.is_none() {
                return Err(RegistryError::InvalidArgument(format!("Production of {name} changed during the rollback; retry")));
            }
            let from: String = sqlx::query_scalar("SELECT stage FROM model_versions WHERE name = $1 AND version = $2")
                .bind(name).bind(target).fetch_one(&mut *tx).await?;
            let why = format!("rollback: {reason}");
            set_stage!(tx, name, current, "Production", "Archived", actor, &why, now);
            sqlx::query("UPDATE production_history SET ended_at = $1, rolled_back = $2 WHERE id = $3")
                .bind(now).bind(true).bind(current_id).execute(&mut *tx).await?;
            set_stage!(tx, name, target, &from, "Production", actor, &why, now);
            sqlx::query("INSERT INTO production_history (name, version, started_at, rolled_back) VALUES ($1, $2, $3, $4)")
                .bind(name).bind(target).bind(now).bind(false).execute(&mut *tx).await?;
            set_alias!(tx, name, "champion", target, now);
            notify!(self.store, tx, name, generation);
            tx.commit().await?;
        });
        tracing::info!(name, from = current, to = target, actor, "rolled back");
        self.version(name, target).await
    }

    /// Applies the promotion policy to `version` and, when it says so, promotes — in one transaction under
    /// the model's lock, so the champion it compares with is the one it replaces, and a recorded "promote"
    /// decision is never left without its promotion.
    pub async fn apply_policy(
        &self,
        name: &str,
        version: i64,
        policy: &Policy,
        actor: &str,
    ) -> Result<Decision> {
        self.apply_policy_paired(name, version, policy, actor, None)
            .await
    }

    /// [`Registry::apply_policy`] judged by `paired`, the candidate and the champion scored on the same holdout
    /// rows. When Production is no longer the version `paired` compared with, nothing is decided: the error
    /// ([`RegistryError::ChampionChanged`]) asks for a new comparison.
    pub async fn apply_policy_paired(
        &self,
        name: &str,
        version: i64,
        policy: &Policy,
        actor: &str,
        paired: Option<&crate::Paired>,
    ) -> Result<Decision> {
        let candidate = self.version(name, version).await?;
        let scored = candidate.scored().ok_or_else(|| {
            RegistryError::InvalidArgument(format!(
                "model {name} v{version} has no f1_weighted in its metrics"
            ))
        })?;
        // A decision is recorded only from a completed judgement: a store that did not answer is an error (the
        // caller retries), a missing or corrupt artifact is a refusal on the record.
        let artifact_problem = match self.verify_artifact(&candidate).await {
            Ok(()) => None,
            Err(e @ RegistryError::BadArtifact { .. }) => Some(e),
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        let decision = with_pool!(self.store, p => {
            let mut tx = p.begin().await?;
            let generation: i64 = sqlx::query_scalar(
                "UPDATE registered_models SET generation = generation + 1, updated_at = $1 WHERE name = $2 RETURNING generation",
            )
            .bind(now).bind(name).fetch_one(&mut *tx).await?;
            let champion: Option<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT version, metrics, holdout_id FROM model_versions WHERE name = $1 AND stage = 'Production'",
            )
            .bind(name).fetch_optional(&mut *tx).await?;
            let champion = champion.and_then(|(v, metrics, holdout_id)| {
                let f1 = serde_json::from_str::<serde_json::Value>(&metrics).ok()?.get("f1_weighted")?.as_f64()?;
                Some(Scored { version: v, f1_weighted: f1, holdout_id })
            });
            if let (Some(p), Some(c)) = (paired, champion.as_ref())
                && p.champion_version != c.version
            {
                return Err(RegistryError::ChampionChanged { name: name.to_string(), compared: p.champion_version, now: c.version });
            }
            let mut decision = crate::policy::decide_paired(policy, &scored, champion.as_ref(), paired);
            if decision.promote && let Some(e) = &artifact_problem {
                decision.promote = false;
                decision.reason = format!("{}; but refused: {e}", decision.reason);
            }
            sqlx::query(
                "INSERT INTO promotion_decisions (name, version, champion_version, promoted, reason, numbers, actor, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(name).bind(version).bind(decision.champion.as_ref().map(|c| c.version)).bind(decision.promote)
            .bind(&decision.reason).bind(serde_json::to_string(&decision)?).bind(actor).bind(now)
            .execute(&mut *tx).await?;
            audit!(tx, actor, "promotion_decision", "model_version", format!("{name}/{version}"), &decision)?;
            if decision.promote {
                let current: String = sqlx::query_scalar("SELECT stage FROM model_versions WHERE name = $1 AND version = $2")
                    .bind(name).bind(version).fetch_one(&mut *tx).await?;
                let reason = decision.reason.clone();
                promote_locked!(tx, name, version, &current, actor, &reason, now);
            }
            notify!(self.store, tx, name, generation);
            tx.commit().await?;
            decision
        });
        if decision.promote {
            tracing::info!(name, version, actor, reason = %decision.reason, "promoted by the policy");
        }
        Ok(decision)
    }

    /// Versions registered from run `run_id`, newest first.
    pub async fn versions_of_run(&self, name: &str, run_id: &str) -> Result<Vec<ModelVersion>> {
        let versions: Vec<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT version FROM model_versions WHERE name = $1 AND run_id = $2 ORDER BY version DESC")
                .bind(name).bind(run_id).fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(versions.len());
        for v in versions {
            out.push(self.version(name, v).await?);
        }
        Ok(out)
    }

    /// The last promotion decision recorded for a version.
    pub async fn last_decision(&self, name: &str, version: i64) -> Result<Option<Decision>> {
        let numbers: Option<String> = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT numbers FROM promotion_decisions WHERE name = $1 AND version = $2 ORDER BY id DESC LIMIT 1")
                .bind(name).bind(version).fetch_optional(p).await?
        });
        Ok(numbers.map(|n| serde_json::from_str(&n)).transpose()?)
    }

    /// Stage transitions of `name`, newest first: (version, from, to, actor, reason, at).
    pub async fn transitions(
        &self,
        name: &str,
    ) -> Result<Vec<(i64, String, String, String, String, DateTime<Utc>)>> {
        Ok(with_pool!(self.store, p => {
            sqlx::query_as("SELECT version, from_stage, to_stage, actor, reason, at FROM stage_transitions WHERE name = $1 ORDER BY id DESC")
                .bind(name).fetch_all(p).await?
        }))
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::InvalidArgument(format!(
            "name {name:?}: use 1-100 letters, digits, '_', '-' or '.'"
        )))
    }
}

fn artifact_error(v: &ModelVersion, problem: artifact::ArtifactProblem) -> RegistryError {
    let (name, version, problem_text) = (v.name.clone(), v.version, problem.message);
    if problem.transient {
        RegistryError::ArtifactUnavailable {
            name,
            version,
            problem: problem_text,
        }
    } else {
        RegistryError::BadArtifact {
            name,
            version,
            problem: problem_text,
        }
    }
}
