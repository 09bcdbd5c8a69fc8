//! Hot swap: the Production version is loaded at start and again whenever the registry says the model changed
//! (PostgreSQL NOTIFY, or the generation check on SQLite), with a periodic check as a fallback. The new model is
//! loaded and warmed beside the old one, then swapped in atomically; requests in flight keep the `Arc` of the
//! model they started with. A version that fails to load leaves the old model serving, and is counted and shown.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use registry::{ModelVersion, Registry};
use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::core::{Core, LoadFailure, LoadedModel};

/// The gRPC service whose health follows the model (and the server as a whole, `""`).
pub const GRPC_SERVICE: &str = "rakuten.inference.v1.InferenceService";

pub struct Reloader {
    pub core: Arc<Core>,
    pub registry: Registry,
    pub health: HealthReporter,
    /// How often the watcher re-reads the model's generation when no notification arrives.
    pub poll: Duration,
    /// How often the Production version is checked whatever the watcher says.
    pub recheck: Duration,
}

impl Reloader {
    pub async fn set_health(&self, status: ServingStatus) {
        // A draining service stays NOT_SERVING whatever loads meanwhile.
        let status = if self.core.draining() {
            ServingStatus::NotServing
        } else {
            status
        };
        self.health.set_service_status(GRPC_SERVICE, status).await;
        self.health.set_service_status("", status).await;
    }

    /// Loads the Production version now, then follows its changes until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        self.refresh().await;
        let mut watcher = None;
        loop {
            if watcher.is_none() {
                match self.registry.watch(&self.core.model_name, self.poll).await {
                    Ok(w) => watcher = Some(w),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot watch the registry; checking periodically")
                    }
                }
            }
            tokio::select! {
                _ = crate::stop_requested(&mut stop) => return,
                changed = async { watcher.as_mut()?.changed().await.err() }, if watcher.is_some() => {
                    if let Some(e) = changed {
                        tracing::warn!(error = %e, "registry watch failed; reconnecting");
                        watcher = None;
                        tokio::time::sleep(self.poll).await;
                    }
                }
                _ = tokio::time::sleep(self.recheck) => {}
            }
            self.refresh().await;
        }
    }

    /// Serves the Production version, and scores the shadow version, if they are not yet.
    pub async fn refresh(&self) {
        self.refresh_production().await;
        self.refresh_shadow().await;
    }

    /// Loads the version the alias `shadow` names (unless it is the one served), or stops scoring when the
    /// alias is gone. Errors keep whatever shadow there is.
    async fn refresh_shadow(&self) {
        let wanted = match self
            .registry
            .aliased(&self.core.model_name, crate::shadow::ALIAS)
            .await
        {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the shadow alias; keeping the current shadow");
                return;
            }
        };
        let served = (*self.core.slot.current.load())
            .as_ref()
            .map(|m| m.version.version);
        let wanted = wanted.filter(|v| Some(v.version) != served);
        let shadow = self.core.shadow.model.load_full();
        match (wanted, shadow) {
            (None, None) => {}
            (None, Some(old)) => {
                self.core.shadow.install(None);
                tracing::info!(version = old.version.version, "shadow model stopped");
            }
            (Some(v), Some(old))
                if old.version.version == v.version
                    && old.version.artifact_sha256 == v.artifact_sha256 => {}
            (Some(v), _) => match load_and_warm(&self.registry, &v).await {
                Ok(classifier) => {
                    let version = v.version;
                    self.core.shadow.install(Some(Arc::new(LoadedModel {
                        version_label: version.to_string(),
                        version: v,
                        classifier,
                        loaded_at: Utc::now(),
                    })));
                    tracing::info!(
                        version,
                        fraction = self.core.shadow.config.fraction,
                        "shadow model loaded: scoring beside Production"
                    );
                }
                Err(e) => {
                    tracing::warn!(version = v.version, error = %format!("{e:#}"), "cannot load the shadow version")
                }
            },
        }
    }

    /// Serves the Production version if it is not served yet. Errors keep whatever is served now.
    async fn refresh_production(&self) {
        let production = match self.registry.production(&self.core.model_name).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the Production version; keeping the current model");
                return;
            }
        };
        let current = self.core.slot.current.load_full();
        let Some(version) = production else {
            // Nothing in Production (yet, or any more): keep serving what we have, and say what it is now.
            if let Some(current) = current {
                match self
                    .registry
                    .version(&current.version.name, current.version.version)
                    .await
                {
                    Ok(v) => {
                        if !self.core.slot.retired() {
                            tracing::warn!(
                                version = v.version,
                                stage = v.stage.as_str(),
                                "the served version left Production and none replaced it; still serving it"
                            );
                        }
                        self.core
                            .slot
                            .set_retired_stage(Some(v.stage.as_str().to_string()));
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read the served version's stage"),
                }
            }
            return;
        };
        if let Some(current) = current
            && current.version.version == version.version
            && current.version.artifact_sha256 == version.artifact_sha256
        {
            self.core.slot.set_retired_stage(None); // promoted again
            return;
        }
        match load_and_warm(&self.registry, &version).await {
            Ok(classifier) => self.install(version, classifier).await,
            Err(e) => self.fail(&version, e),
        }
    }

    async fn install(&self, version: ModelVersion, classifier: model::Classifier) {
        let loaded = Arc::new(LoadedModel {
            version_label: version.version.to_string(),
            version,
            classifier,
            loaded_at: Utc::now(),
        });
        let previous = self.core.slot.current.swap(Some(loaded.clone()));
        self.core.slot.set_retired_stage(None);
        if let Ok(mut f) = self.core.slot.last_failure.lock() {
            *f = None;
        }
        self.set_health(ServingStatus::Serving).await;
        tracing::info!(
            name = %loaded.version.name,
            version = loaded.version.version,
            previous = previous.map(|p| p.version.version),
            "model loaded and serving"
        );
    }

    fn fail(&self, version: &ModelVersion, e: anyhow::Error) {
        let error = format!("{e:#}");
        tracing::error!(
            name = %version.name,
            version = version.version,
            %error,
            "cannot load the Production version; the current model keeps serving"
        );
        self.core.slot.load_failures.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut f) = self.core.slot.last_failure.lock() {
            *f = Some(LoadFailure {
                version: version.version,
                error,
                at: Utc::now(),
            });
        }
    }
}

/// Downloads, loads and warms (one prediction) a version, off the request path.
async fn load_and_warm(
    registry: &Registry,
    version: &ModelVersion,
) -> anyhow::Result<model::Classifier> {
    let classifier = lifecycle::pipeline::load_version(registry, version).await?;
    tokio::task::spawn_blocking(move || {
        classifier.predict("warm up", "", crate::core::DEFAULT_TOP_K)?;
        Ok(classifier)
    })
    .await?
}
