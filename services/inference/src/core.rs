//! The one core that gRPC and REST adapt: the model slot (swapped atomically on promotion), input validation,
//! prediction, metrics and the inference log. Both adapters call [`Core::predict`] and [`Core::predict_batch`],
//! so the same input gives the same answer and the same error on either transport.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use data::inference::InferenceRecord;
use data::{ArtifactStore, Store};
use model::{Prediction, ProductText};
use registry::Registry;

use crate::error::ServeError;
use crate::log::{InferenceLog, LogStats};
use crate::metrics::ServeMetrics;
pub use crate::slot::{LoadFailure, LoadedModel, ModelSlot};
use lifecycle::DriftCheck;

/// The 27 `prdtypecode` classes: the most a `top_k` can ask for.
pub const MAX_TOP_K: usize = 27;
/// Classes returned when the request does not say (the original contract's top 5).
pub const DEFAULT_TOP_K: usize = 5;
/// A single prediction over this many characters runs on the blocking pool; shorter ones (tens of
/// microseconds) run inline, where a thread hand-off would cost more than the prediction itself.
const INLINE_MAX_CHARS: usize = 2_000;

/// What a client may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Characters of `designation`, and of `description`, each.
    pub max_text_chars: usize,
    pub max_batch_items: usize,
    /// Bytes of one REST request body (gRPC: the decoded message size).
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_chars: 20_000,
            max_batch_items: 1_024,
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

/// How much work the service takes on at once. Past a bound a request is refused at once (REST 503 with
/// `Retry-After`, gRPC RESOURCE_EXHAUSTED) rather than queued: the caller can retry elsewhere or later, and the
/// service's memory and latency stay bounded whatever the offered load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Prediction requests (single or batch, REST and gRPC together) being served.
    pub max_in_flight: usize,
    /// Batch items being predicted, over all batches in flight.
    pub max_batch_items_in_flight: usize,
    /// A request still unanswered after this is abandoned (503 / DEADLINE_EXCEEDED). Work already handed to
    /// the blocking pool finishes, holding its share of the bounds until then.
    pub request_timeout: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_in_flight: 512,
            max_batch_items_in_flight: 8_192,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// One product to classify, as either transport decoded it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictInput {
    pub designation: String,
    pub description: String,
    pub imageid: Option<i64>,
    pub top_k: Option<u64>,
}

/// One answer, with the model that gave it (kept alive by the `Arc` even if a swap happens meanwhile).
#[derive(Debug, Clone)]
pub struct PredictOutput {
    pub prediction_id: String,
    pub prediction: Prediction,
    pub model: Arc<LoadedModel>,
}

pub struct Core {
    pub model_name: String,
    pub limits: Limits,
    pub slot: Arc<ModelSlot>,
    pub metrics: ServeMetrics,
    pub log: InferenceLog,
    pub store: Store,
    pub artifacts: ArtifactStore,
    /// The last drift check served on `/metrics`, kept until a newer report is recorded.
    pub drift: tokio::sync::Mutex<Option<DriftCheck>>,
    pub started_at: DateTime<Utc>,
    pub extra_metrics: Option<ExtraMetrics>,
    pub bounds: Bounds,
    /// Keys the prediction and model endpoints require (`None`: open).
    pub api_keys: Option<crate::auth::ApiKeys>,
    requests: Arc<tokio::sync::Semaphore>,
    batch_items: Arc<tokio::sync::Semaphore>,
    /// Set when the service starts draining (SIGTERM): not ready, answering what is in flight.
    draining: std::sync::atomic::AtomicBool,
    /// The shadow model (registry alias `shadow`), scoring a fraction of what Production answers.
    pub shadow: Arc<crate::shadow::Shadow>,
    /// The shadow's queue, taken once by the task that scores it.
    shadow_jobs: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<crate::shadow::Job>>>,
}

/// A source of more Prometheus text for `/metrics` (see `ServeConfig::extra_metrics`).
#[derive(Clone)]
pub struct ExtraMetrics(pub Arc<ExtraMetricsFn>);

pub type ExtraMetricsFn =
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>> + Send + Sync;

impl std::fmt::Debug for ExtraMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtraMetrics")
    }
}

impl Core {
    pub fn new(model_name: String, limits: Limits, registry: &Registry, log: InferenceLog) -> Core {
        let slot = Arc::new(ModelSlot::default());
        let metrics = ServeMetrics::new(slot.clone(), log.stats().clone());
        let (shadow, shadow_jobs) = crate::shadow::Shadow::new(Default::default());
        Core {
            shadow: Arc::new(shadow),
            shadow_jobs: std::sync::Mutex::new(Some(shadow_jobs)),
            model_name,
            limits,
            slot,
            metrics,
            log,
            store: registry.store.clone(),
            artifacts: registry.artifacts.clone(),
            drift: Default::default(),
            started_at: Utc::now(),
            extra_metrics: None,
            bounds: Bounds::default(),
            api_keys: None,
            requests: Arc::new(tokio::sync::Semaphore::new(Bounds::default().max_in_flight)),
            batch_items: Arc::new(tokio::sync::Semaphore::new(
                Bounds::default().max_batch_items_in_flight,
            )),
            draining: Default::default(),
        }
    }

    /// The core with other bounds on its work.
    pub fn with_bounds(mut self, bounds: Bounds) -> Core {
        self.requests = Arc::new(tokio::sync::Semaphore::new(bounds.max_in_flight.max(1)));
        self.batch_items = Arc::new(tokio::sync::Semaphore::new(
            bounds.max_batch_items_in_flight.max(1),
        ));
        self.bounds = bounds;
        self
    }

    /// With the shadow scoring as `config` says.
    pub fn with_shadow(mut self, config: crate::shadow::ShadowConfig) -> Core {
        let (shadow, jobs) = crate::shadow::Shadow::new(config);
        self.shadow = Arc::new(shadow);
        self.shadow_jobs = std::sync::Mutex::new(Some(jobs));
        self
    }

    /// The shadow's queue, for the task that scores it (once).
    pub fn take_shadow_jobs(&self) -> Option<tokio::sync::mpsc::Receiver<crate::shadow::Job>> {
        self.shadow_jobs.lock().ok()?.take()
    }

    /// Ready to take traffic: a model is loaded and the service is not draining.
    pub fn ready(&self) -> bool {
        self.slot.current.load().is_some() && !self.draining()
    }

    pub fn draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A place among the requests in flight, or the refusal.
    fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ServeError> {
        self.requests
            .clone()
            .try_acquire_owned()
            .map_err(|_| ServeError::Overloaded {
                limit: "requests in flight",
                retry_after_secs: 1,
            })
    }

    /// Runs `work` within the request timeout.
    async fn in_time<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ServeError>>,
    ) -> Result<T, ServeError> {
        match tokio::time::timeout(self.bounds.request_timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(ServeError::Timeout {
                seconds: self.bounds.request_timeout.as_secs_f64(),
            }),
        }
    }

    pub fn current(&self) -> Result<Arc<LoadedModel>, ServeError> {
        self.slot
            .current
            .load_full()
            .ok_or_else(|| ServeError::NoModel {
                model: self.model_name.clone(),
            })
    }

    /// Validates one item; `prefix` names where it sits (`""`, or `items[3].` in a batch).
    pub fn validate(&self, item: &PredictInput, prefix: &str) -> Result<(), ServeError> {
        if item.designation.trim().is_empty() {
            return Err(ServeError::Empty {
                field: format!("{prefix}designation"),
            });
        }
        let max = self.limits.max_text_chars;
        for (name, text) in [
            ("designation", &item.designation),
            ("description", &item.description),
        ] {
            // Bytes bound characters from above: count only when the bytes could be over.
            if text.len() > max && text.chars().count() > max {
                return Err(ServeError::TextTooLong {
                    field: format!("{prefix}{name}"),
                    limit: max,
                });
            }
        }
        if let Some(k) = item.top_k
            && !(1..=MAX_TOP_K as u64).contains(&k)
        {
            return Err(ServeError::TopK {
                field: format!("{prefix}top_k"),
                max: MAX_TOP_K,
            });
        }
        Ok(())
    }

    /// Classifies one product: validated, predicted, counted, logged.
    pub async fn predict(&self, input: PredictInput) -> Result<PredictOutput, ServeError> {
        let started = Instant::now();
        let _in_flight = self.metrics.enter();
        let result = match self.admit() {
            Ok(permit) => {
                self.in_time(self.predict_inner(input, started, permit))
                    .await
            }
            Err(e) => Err(e),
        };
        self.count("predict", result.as_ref().err());
        result
    }

    async fn predict_inner(
        &self,
        input: PredictInput,
        started: Instant,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<PredictOutput, ServeError> {
        self.validate(&input, "")?;
        let model = self.current()?;
        let k = input.top_k.map_or(DEFAULT_TOP_K, |k| k as usize);
        let long = input.designation.len() + input.description.len() > INLINE_MAX_CHARS;
        let span = tracing::info_span!("predict", model.version = %model.version_label);
        let (prediction, input) = if long {
            let m = model.clone();
            tokio::task::spawn_blocking(move || {
                // The request's place is held until the work ends, even if the caller stopped waiting.
                let _permit = permit;
                let p = span.in_scope(|| {
                    m.classifier
                        .predict(&input.designation, &input.description, k)
                });
                (p, input)
            })
            .await
            .map_err(|e| ServeError::Internal(e.to_string()))?
        } else {
            let p = span.in_scope(|| {
                model
                    .classifier
                    .predict(&input.designation, &input.description, k)
            });
            (p, input)
        };
        let prediction = prediction.map_err(|e| ServeError::Internal(e.to_string()))?;
        let out = PredictOutput {
            prediction_id: uuid::Uuid::now_v7().to_string(),
            prediction,
            model,
        };
        tracing::info_span!("log_enqueue")
            .in_scope(|| self.record(&out, &input, started.elapsed(), "single"));
        Ok(out)
    }

    /// Classifies every item with one model (the one current when the batch starts), in request order.
    pub async fn predict_batch(
        &self,
        items: Vec<PredictInput>,
        top_k: Option<u64>,
    ) -> Result<Vec<PredictOutput>, ServeError> {
        let started = Instant::now();
        let _in_flight = self.metrics.enter();
        let result = match self.admit() {
            Ok(permit) => {
                self.in_time(self.predict_batch_inner(items, top_k, started, permit))
                    .await
            }
            Err(e) => Err(e),
        };
        self.count("predict_batch", result.as_ref().err());
        result
    }

    async fn predict_batch_inner(
        &self,
        items: Vec<PredictInput>,
        top_k: Option<u64>,
        started: Instant,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Vec<PredictOutput>, ServeError> {
        self.check_batch_len(items.len())?;
        if let Some(k) = top_k
            && !(1..=MAX_TOP_K as u64).contains(&k)
        {
            return Err(ServeError::TopK {
                field: "top_k".into(),
                max: MAX_TOP_K,
            });
        }
        for (i, item) in items.iter().enumerate() {
            self.validate(item, &format!("items[{i}]."))?;
        }
        let model = self.current()?;
        let item_permits = self
            .batch_items
            .clone()
            .try_acquire_many_owned(items.len() as u32)
            .map_err(|_| ServeError::Overloaded {
                limit: "batch items in flight",
                retry_after_secs: 1,
            })?;
        let counted = self.metrics.batch_items(items.len());
        let m = model.clone();
        let span = tracing::info_span!("predict", model.version = %model.version_label, items = items.len());
        let (predictions, items) = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            // Held until the batch is predicted, even if the caller stopped waiting.
            let _permits = (permit, item_permits, counted);
            // Items may ask for different k: predict the widest, cut each to its own.
            let k_of = |i: &PredictInput| i.top_k.or(top_k).map_or(DEFAULT_TOP_K, |k| k as usize);
            let widest = items.iter().map(k_of).max().unwrap_or(DEFAULT_TOP_K);
            let texts: Vec<ProductText<'_>> = items
                .iter()
                .map(|i| ProductText {
                    designation: &i.designation,
                    description: &i.description,
                })
                .collect();
            let mut predictions = m.classifier.predict_batch(&texts, widest);
            if let Ok(ps) = &mut predictions {
                for (p, i) in ps.iter_mut().zip(&items) {
                    p.top_k.truncate(k_of(i));
                }
            }
            (predictions, items)
        })
        .await
        .map_err(|e| ServeError::Internal(e.to_string()))?;
        let predictions = predictions.map_err(|e| ServeError::Internal(e.to_string()))?;
        // The batch's time, shared by its items (what one item cost, amortised).
        let per_item = started.elapsed() / items.len().max(1) as u32;
        let outputs: Vec<PredictOutput> = predictions
            .into_iter()
            .map(|prediction| PredictOutput {
                prediction_id: uuid::Uuid::now_v7().to_string(),
                prediction,
                model: model.clone(),
            })
            .collect();
        tracing::info_span!("log_enqueue").in_scope(|| {
            for (out, item) in outputs.iter().zip(&items) {
                self.record(out, item, per_item, "batch");
            }
        });
        Ok(outputs)
    }

    /// Refuses an empty or oversized batch (before any item is decoded, for a REST body).
    pub fn check_batch_len(&self, n: usize) -> Result<(), ServeError> {
        if n == 0 {
            return Err(ServeError::Empty {
                field: "items".into(),
            });
        }
        if n > self.limits.max_batch_items {
            return Err(ServeError::BatchTooLarge {
                limit: self.limits.max_batch_items,
            });
        }
        Ok(())
    }

    /// Counts a client error found before the core was reached (a body the adapter could not decode).
    pub fn reject(&self, api: &'static str, e: ServeError) -> ServeError {
        self.count(api, Some(&e));
        e
    }

    /// Counts a request by outcome, and its error by type.
    fn count(&self, api: &'static str, error: Option<&ServeError>) {
        let outcome = match error {
            None => "ok",
            Some(e) => {
                self.metrics.api_error(e.error_type());
                if e.is_client_error() {
                    "client_error"
                } else {
                    "server_error"
                }
            }
        };
        self.metrics.request(api, outcome);
    }

    fn record(
        &self,
        out: &PredictOutput,
        input: &PredictInput,
        latency: Duration,
        kind: &'static str,
    ) {
        let record = InferenceRecord::new(
            out.prediction_id.clone(),
            Utc::now(),
            (&out.model.version.name, &out.model.version_label),
            &input.designation,
            &input.description,
            input.imageid,
            out.prediction.predicted_class,
            out.prediction.confidence as f64,
            latency.as_secs_f64() * 1000.0,
        );
        self.metrics.prediction(
            out.prediction.predicted_class,
            latency,
            record.text_len_chars as u64,
            kind,
        );
        self.log.push(record);
        self.shadow.offer(
            &self.metrics,
            &input.designation,
            &input.description,
            out.prediction.predicted_class,
        );
    }

    /// Whether the database answers within a second.
    pub async fn database_reachable(&self) -> bool {
        matches!(
            tokio::time::timeout(Duration::from_secs(1), self.store.ping()).await,
            Ok(Ok(()))
        )
    }

    pub fn log_stats(&self) -> &Arc<LogStats> {
        self.log.stats()
    }
}
