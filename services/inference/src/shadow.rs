//! Shadow models: the version the registry alias `shadow` names is loaded beside Production and scores a
//! fraction of the products Production answers, off the request path. Answers always come from Production;
//! the shadow's work goes through a bounded queue that drops when full (counted), never delays a request.
//! What is measured: agreement with Production (overall and by Production's class), the shadow's latency, and
//! what was dropped, in `/models/current` and in Prometheus, for the shadow version being scored.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::metrics::ServeMetrics;
use crate::slot::LoadedModel;

/// The registry alias naming the shadow version.
pub const ALIAS: &str = "shadow";
/// Products one shadow prediction takes at most (the queue's items, batched).
const BATCH: usize = 256;

/// How much the shadow scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShadowConfig {
    /// Fraction of the products Production answers that the shadow scores too (0 to 1).
    pub fraction: f64,
    /// Products waiting for the shadow at most; past it they are dropped.
    pub queue: usize,
}

impl Default for ShadowConfig {
    fn default() -> Self {
        ShadowConfig {
            fraction: 0.25,
            queue: 1_024,
        }
    }
}

/// One product Production answered, for the shadow to score.
pub struct Job {
    designation: String,
    description: String,
    production_class: i64,
    /// The shadow version current when the job was queued (a job for a replaced shadow is discarded).
    shadow_version: i64,
}

/// What the shadow version being scored has done since it was loaded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowStats {
    pub version: String,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Products scored by both.
    pub scored: u64,
    pub agreed: u64,
    /// `agreed / scored` (absent before the first product).
    pub agreement: Option<f64>,
    /// Products sampled for the shadow but dropped because its queue was full.
    pub dropped: u64,
    /// Mean shadow latency per product, milliseconds (batched).
    pub mean_latency_ms: Option<f64>,
    /// Disagreements by Production's class: `{"<prdtypecode>": {"scored": n, "disagreed": m}}`.
    pub by_class: BTreeMap<String, ClassAgreement>,
    #[serde(skip)]
    latency_ms_total: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ClassAgreement {
    pub scored: u64,
    pub disagreed: u64,
}

pub struct Shadow {
    pub config: ShadowConfig,
    pub model: ArcSwapOption<LoadedModel>,
    stats: Mutex<Option<ShadowStats>>,
    queue: mpsc::Sender<Job>,
    offered: AtomicU64,
}

impl Shadow {
    /// The shadow and the receiving end of its queue, for [`run`].
    pub fn new(config: ShadowConfig) -> (Shadow, mpsc::Receiver<Job>) {
        let (queue, rx) = mpsc::channel(config.queue.max(1));
        let shadow = Shadow {
            config,
            model: ArcSwapOption::empty(),
            stats: Mutex::new(None),
            queue,
            offered: AtomicU64::new(0),
        };
        (shadow, rx)
    }

    /// Starts scoring `model` (from zero), or stops scoring (`None`).
    pub fn install(&self, model: Option<Arc<LoadedModel>>) {
        if let Ok(mut s) = self.stats.lock() {
            *s = model.as_ref().map(|m| ShadowStats {
                version: m.version_label.clone(),
                loaded_at: Some(m.loaded_at),
                ..ShadowStats::default()
            });
        }
        self.model.store(model);
    }

    pub fn stats(&self) -> Option<ShadowStats> {
        self.stats.lock().ok().and_then(|s| s.clone())
    }

    /// Whether the next product offered is sampled: exactly `fraction` of them, evenly spread.
    fn sampled(&self) -> bool {
        let f = self.config.fraction.clamp(0.0, 1.0);
        let n = self.offered.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * f).floor() > (n * f).floor()
    }

    /// Offers a product Production just answered. Returns at once: queued, not sampled, or dropped (counted).
    pub fn offer(
        &self,
        metrics: &ServeMetrics,
        designation: &str,
        description: &str,
        production_class: i64,
    ) {
        let Some(model) = (*self.model.load()).as_ref().map(|m| m.version.version) else {
            return;
        };
        if !self.sampled() {
            return;
        }
        let job = Job {
            designation: designation.to_string(),
            description: description.to_string(),
            production_class,
            shadow_version: model,
        };
        if self.queue.try_send(job).is_err() {
            metrics.shadow_dropped();
            if let Ok(mut s) = self.stats.lock()
                && let Some(s) = s.as_mut()
            {
                s.dropped += 1;
            }
        }
    }

    fn record(&self, version: i64, latency_ms: f64, pairs: &[(i64, i64)]) {
        let Ok(mut guard) = self.stats.lock() else {
            return;
        };
        let Some(s) = guard.as_mut() else { return };
        if s.version != version.to_string() {
            return; // replaced while this batch was scored
        }
        for &(production, shadow) in pairs {
            s.scored += 1;
            let class = s.by_class.entry(production.to_string()).or_default();
            class.scored += 1;
            if production == shadow {
                s.agreed += 1;
            } else {
                class.disagreed += 1;
            }
        }
        s.latency_ms_total += latency_ms;
        s.agreement = Some(s.agreed as f64 / s.scored.max(1) as f64);
        s.mean_latency_ms = Some(s.latency_ms_total / s.scored.max(1) as f64);
    }
}

/// Scores the queued products with the shadow model, a batch at a time on the blocking pool, until `stop`;
/// `scored(version, time per product, pairs)` is told of each batch (the service's metrics).
pub async fn run(
    shadow: Arc<Shadow>,
    scored: impl Fn(&str, std::time::Duration, &[(i64, i64)]) + Send + 'static,
    mut rx: mpsc::Receiver<Job>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let first = tokio::select! {
            _ = crate::stop_requested(&mut stop) => return,
            job = rx.recv() => match job { Some(j) => j, None => return },
        };
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let Some(model) = shadow.model.load_full() else {
            continue; // the shadow was removed meanwhile
        };
        jobs.retain(|j| j.shadow_version == model.version.version);
        if jobs.is_empty() {
            continue;
        }
        let m = model.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let texts: Vec<model::ProductText<'_>> = jobs
                .iter()
                .map(|j| model::ProductText {
                    designation: &j.designation,
                    description: &j.description,
                })
                .collect();
            let predictions = m.classifier.predict_batch(&texts, 1);
            let elapsed = started.elapsed();
            predictions.map(|ps| {
                let pairs: Vec<(i64, i64)> = jobs
                    .iter()
                    .zip(&ps)
                    .map(|(j, p)| (j.production_class, p.predicted_class))
                    .collect();
                (pairs, elapsed)
            })
        })
        .await;
        match outcome {
            Ok(Ok((pairs, elapsed))) => {
                let per_item = elapsed / pairs.len().max(1) as u32;
                scored(&model.version_label, per_item, &pairs);
                shadow.record(
                    model.version.version,
                    elapsed.as_secs_f64() * 1000.0,
                    &pairs,
                );
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "the shadow model failed on a batch"),
            Err(e) => tracing::warn!(error = %e, "the shadow scoring task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_takes_exactly_the_fraction_evenly() {
        for (fraction, of_100) in [(0.0, 0), (0.25, 25), (0.1, 10), (1.0, 100), (0.333, 33)] {
            let (s, _rx) = Shadow::new(ShadowConfig { fraction, queue: 1 });
            let taken: Vec<bool> = (0..100).map(|_| s.sampled()).collect();
            assert_eq!(taken.iter().filter(|&&t| t).count(), of_100, "{fraction}");
            if fraction == 0.25 {
                assert_eq!(taken.iter().position(|&t| t), Some(3));
                assert!(
                    taken
                        .chunks(4)
                        .all(|c| c.iter().filter(|&&t| t).count() == 1)
                );
            }
        }
    }
}
