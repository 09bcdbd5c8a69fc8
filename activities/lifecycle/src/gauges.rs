//! The lifecycle's state as Prometheus metrics, read from the database and registry at scrape time: what is
//! loaded, every registered version's holdout F1, the Production version, the last live score, promotions and
//! rollbacks, and the last drift check. Read from the shared state (not counted in memory), so every worker
//! exports the same values and a restart loses nothing; the worker's `/metrics` adds them to its own counters.

use std::time::Duration;

use prometheus::proto::MetricFamily;
use prometheus::{Gauge, GaugeVec, IntCounter, Opts, Registry};

use crate::monitoring::DriftCheck;
use crate::pipeline::Lifecycle;

impl Lifecycle {
    /// The state metrics (see the module). Each source that does not answer within `timeout` is left out
    /// rather than holding the scrape.
    pub async fn state_metrics(&self, timeout: Duration) -> Vec<MetricFamily> {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str, value: f64| {
            let g = Gauge::new(name, help).expect("a valid gauge name");
            g.set(value);
            registry.register(Box::new(g)).expect("one metric per name");
        };
        let counter = |name: &str, help: &str, value: u64| {
            let c = IntCounter::new(name, help).expect("a valid counter name");
            c.inc_by(value);
            registry.register(Box::new(c)).expect("one metric per name");
        };

        if let Ok(Ok(s)) = tokio::time::timeout(timeout, self.store.status()).await {
            gauge(
                "rakuten_dataset_loaded_rows",
                "Labelled rows loaded into the database.",
                s.loaded_rows as f64,
            );
            gauge(
                "rakuten_dataset_pool_rows",
                "Rows of the source pool (excluding the holdout).",
                s.pool_rows as f64,
            );
            gauge(
                "rakuten_dataset_loaded_percent",
                "Loaded rows as a percentage of the pool.",
                s.percent_loaded,
            );
            gauge(
                "rakuten_dataset_holdout_rows",
                "Rows of the fixed holdout every model is scored on.",
                s.import.as_ref().map_or(0.0, |i| i.holdout_rows as f64),
            );
            gauge(
                "rakuten_dataset_versions",
                "Dataset versions built.",
                s.dataset_versions as f64,
            );
            gauge(
                "rakuten_dataset_batches",
                "Load batches applied.",
                s.batches.len() as f64,
            );
            if let Some(last) = s.batches.iter().max_by_key(|b| b.id) {
                gauge(
                    "rakuten_dataset_last_load_timestamp_seconds",
                    "When the last batch was loaded (Unix time).",
                    last.finished_at.timestamp() as f64,
                );
            }
            gauge(
                "rakuten_inference_log_rows",
                "Rows in the inference log.",
                s.inference_log_rows as f64,
            );
        }

        let reg = &self.registry;
        if let Ok(Ok(versions)) =
            tokio::time::timeout(timeout, reg.versions(Some(&self.name))).await
        {
            let f1 = GaugeVec::new(
                Opts::new(
                    "rakuten_model_version_holdout_f1",
                    "Weighted F1 of each registered version on the fixed holdout, by version and stage.",
                ),
                &["version", "stage"],
            )
            .expect("a valid gauge name");
            for v in &versions {
                if let Some(score) = v.f1_weighted() {
                    f1.with_label_values(&[&v.version.to_string(), v.stage.as_str()])
                        .set(score);
                }
            }
            registry
                .register(Box::new(f1))
                .expect("one metric per name");
            gauge(
                "rakuten_model_versions",
                "Registered versions of the model.",
                versions.len() as f64,
            );
            if let Some(p) = versions
                .iter()
                .find(|v| v.stage == registry::Stage::Production)
            {
                gauge(
                    "rakuten_model_production_version",
                    "The version in Production.",
                    p.version as f64,
                );
                if let Some(score) = p.f1_weighted() {
                    gauge(
                        "rakuten_model_production_holdout_f1",
                        "Weighted F1 of the Production version on the fixed holdout.",
                        score,
                    );
                }
            }
        }
        if let Ok(Ok(transitions)) =
            tokio::time::timeout(timeout, reg.transitions(&self.name)).await
        {
            let to_production = transitions.iter().filter(|t| t.2 == "Production");
            let rollbacks = to_production
                .clone()
                .filter(|t| t.4.starts_with("rollback"))
                .count() as u64;
            counter(
                "rakuten_model_promotions_total",
                "Versions moved to Production (promotions by the policy or by hand, rollbacks included).",
                to_production.count() as u64,
            );
            counter(
                "rakuten_model_rollbacks_total",
                "Rollbacks to the previous Production version.",
                rollbacks,
            );
        }

        if let Ok(Ok(scores)) = tokio::time::timeout(timeout, self.store.live_scores(1)).await
            && let Some(s) = scores.first()
        {
            gauge(
                "rakuten_model_live_f1",
                "Weighted F1 of the Production model on the last loaded batch, scored before training on it.",
                s.f1_weighted,
            );
            if let Some(h) = s.holdout_f1 {
                gauge(
                    "rakuten_model_live_holdout_f1",
                    "Holdout F1 of the model the last live score was taken of (compare with rakuten_model_live_f1).",
                    h,
                );
            }
            gauge(
                "rakuten_model_live_f1_version",
                "The version the last live score was taken of.",
                s.version as f64,
            );
            gauge(
                "rakuten_model_live_f1_rows",
                "Rows of the batch the last live score was taken on.",
                s.rows as f64,
            );
            gauge(
                "rakuten_model_live_f1_timestamp_seconds",
                "When the last live score was taken (Unix time).",
                s.at.timestamp() as f64,
            );
        }

        let mut families = registry.gather();
        if let Ok(Ok(Some(check))) = tokio::time::timeout(
            timeout,
            DriftCheck::latest(&self.store, &self.registry.artifacts),
        )
        .await
        {
            families.extend(check.gauges());
        }
        families
    }
}
