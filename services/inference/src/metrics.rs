//! The inference service's Prometheus metrics: its own instruments ([`ServeMetrics`]) go through opentelemetry
//! into a `prometheus::Registry`; `/metrics` adds the last drift check's gauges (`lifecycle::DriftCheck::gauges`).
//! Names follow `rakuten_<what>_<unit>[_total]`; labels are bounded (27 classes, the error types of
//! [`crate::error`], two kinds of call, the five monitored columns).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    Counter, Histogram, MeterProvider, ObservableCounter, ObservableGauge, UpDownCounter,
};
use opentelemetry_sdk::metrics::SdkMeterProvider;

use lifecycle::DriftCheck;

use crate::log::LogStats;
use crate::slot::ModelSlot;

/// Latency buckets, seconds: one prediction takes tens of microseconds, a large batch up to seconds.
pub const LATENCY_BUCKETS_SECONDS: [f64; 17] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0,
];
/// Text length buckets, characters (designation + description).
pub const TEXT_LEN_BUCKETS_CHARS: [f64; 12] = [
    10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0, 40_000.0,
];

/// The inference service's instruments. The exporter is told to add no unit or `_total` suffix and no scope
/// labels, so the names below are the exported names.
pub struct ServeMetrics {
    registry: prometheus::Registry,
    _provider: SdkMeterProvider,
    predictions: Counter<u64>,
    latency: Histogram<f64>,
    text_len: Histogram<f64>,
    errors: Counter<u64>,
    requests: Counter<u64>,
    in_flight: UpDownCounter<i64>,
    batch_items: UpDownCounter<i64>,
    shadow_predictions: Counter<u64>,
    shadow_disagreements: Counter<u64>,
    shadow_latency: Histogram<f64>,
    shadow_dropped: Counter<u64>,
    // Observable instruments live as long as their handles.
    _gauges: [ObservableGauge<f64>; 2],
    _log_gauges: [ObservableGauge<u64>; 2],
    _counters: [ObservableCounter<u64>; 5],
}

impl ServeMetrics {
    pub fn new(slot: Arc<ModelSlot>, log: Arc<LogStats>) -> ServeMetrics {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_units()
            .without_counter_suffixes()
            .without_target_info()
            .scope_info_enabled(false)
            .build()
            .expect("a fresh registry accepts the exporter's collector");
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("rakuten-serve");
        let predictions = meter
            .u64_counter("rakuten_predictions_total")
            .with_description("Predictions served, by predicted prdtypecode.")
            .build();
        let latency = meter
            .f64_histogram("rakuten_prediction_latency_seconds")
            .with_description("Time to validate, predict and log one prediction (a batch: its time per item), by kind (single, batch).")
            .with_boundaries(LATENCY_BUCKETS_SECONDS.to_vec())
            .build();
        let text_len = meter
            .f64_histogram("rakuten_text_len_chars")
            .with_description("Characters of designation + description per prediction.")
            .with_boundaries(TEXT_LEN_BUCKETS_CHARS.to_vec())
            .build();
        let errors = meter
            .u64_counter("rakuten_api_errors_total")
            .with_description("Requests refused or failed, by error_type.")
            .build();
        let requests = meter
            .u64_counter("rakuten_requests_total")
            .with_description("Prediction requests by api (predict, predict_batch) and outcome (ok, client_error, server_error), REST and gRPC alike.")
            .build();
        let in_flight = meter
            .i64_up_down_counter("rakuten_requests_in_flight")
            .with_description("Prediction requests being served (saturation).")
            .build();
        let batch_items = meter
            .i64_up_down_counter("rakuten_batch_items_in_flight")
            .with_description(
                "Batch items admitted and being classified (against --max-batch-items-in-flight).",
            )
            .build();
        let shadow_predictions = meter
            .u64_counter("rakuten_shadow_predictions_total")
            .with_description("Products the shadow model scored beside Production, by shadow version and outcome (agree, disagree with Production's class).")
            .build();
        let shadow_disagreements = meter
            .u64_counter("rakuten_shadow_disagreements_total")
            .with_description("Products where the shadow model's class differs from Production's, by Production's prdtypecode.")
            .build();
        let shadow_latency = meter
            .f64_histogram("rakuten_shadow_latency_seconds")
            .with_description(
                "The shadow model's time per product (batched, off the request path).",
            )
            .with_boundaries(LATENCY_BUCKETS_SECONDS.to_vec())
            .build();
        let shadow_dropped = meter
            .u64_counter("rakuten_shadow_dropped_total")
            .with_description(
                "Products sampled for the shadow model but dropped because its queue was full.",
            )
            .build();
        let s = slot.clone();
        let info = meter
            .f64_observable_gauge("rakuten_model_info")
            .with_description(
                "1 for the model being served, labelled with its name, version and stage.",
            )
            .with_callback(move |o| {
                if let Some(m) = s.current.load().as_ref() {
                    let v = &m.version;
                    o.observe(
                        1.0,
                        &[
                            KeyValue::new("name", v.name.clone()),
                            KeyValue::new("version", m.version_label.clone()),
                            KeyValue::new("stage", s.stage_of(m)),
                        ],
                    );
                }
            })
            .build();
        let s = slot.clone();
        let loaded_at = meter
            .f64_observable_gauge("rakuten_model_load_timestamp_seconds")
            .with_description("When the model being served was loaded (Unix time).")
            .with_callback(move |o| {
                if let Some(m) = s.current.load().as_ref() {
                    o.observe(m.loaded_at.timestamp_millis() as f64 / 1000.0, &[]);
                }
            })
            .build();
        let s = slot;
        let load_failures = meter
            .u64_observable_counter("rakuten_model_load_failures_total")
            .with_description(
                "Production versions that could not be loaded (the previous model kept serving).",
            )
            .with_callback(move |o| o.observe(s.load_failures.load(Ordering::Relaxed), &[]))
            .build();
        // The log's counters and gauges, read from its atomics at scrape time.
        macro_rules! observe_log {
            ($kind:ident, $name:literal, $help:literal, $field:ident) => {{
                let l = log.clone();
                meter
                    .$kind($name)
                    .with_description($help)
                    .with_callback(move |o| o.observe(l.$field.load(Ordering::Relaxed), &[]))
                    .build()
            }};
        }
        let dropped = observe_log!(
            u64_observable_counter,
            "rakuten_inference_log_dropped_total",
            "Inference log rows lost: queue full, journal full or off, or the journal write failed (an upper bound: a timed-out database write may still land).",
            dropped
        );
        let written = observe_log!(
            u64_observable_counter,
            "rakuten_inference_log_written_total",
            "Inference log rows written to the database.",
            written
        );
        let journaled = observe_log!(
            u64_observable_counter,
            "rakuten_inference_log_journaled_total",
            "Inference log rows written to the local journal because the database was down or behind.",
            journaled
        );
        let replayed = observe_log!(
            u64_observable_counter,
            "rakuten_inference_log_replayed_total",
            "Inference log rows replayed from the journal into the database.",
            replayed
        );
        let journal_bytes = observe_log!(
            u64_observable_gauge,
            "rakuten_inference_log_journal_bytes",
            "Bytes of inference log rows waiting in the local journal.",
            journal_bytes
        );
        let journal_segments = observe_log!(
            u64_observable_gauge,
            "rakuten_inference_log_journal_segments",
            "Journal segment files waiting to be replayed.",
            journal_segments
        );
        ServeMetrics {
            registry,
            _provider: provider,
            predictions,
            latency,
            text_len,
            errors,
            requests,
            in_flight,
            batch_items,
            shadow_predictions,
            shadow_disagreements,
            shadow_latency,
            shadow_dropped,
            _gauges: [info, loaded_at],
            _log_gauges: [journal_bytes, journal_segments],
            _counters: [load_failures, dropped, written, journaled, replayed],
        }
    }

    pub fn prediction(
        &self,
        class: i64,
        latency: Duration,
        text_len_chars: u64,
        kind: &'static str,
    ) {
        self.predictions
            .add(1, &[KeyValue::new("prdtypecode", class.to_string())]);
        self.latency
            .record(latency.as_secs_f64(), &[KeyValue::new("kind", kind)]);
        self.text_len.record(text_len_chars as f64, &[]);
    }

    /// Counts a request in flight until the guard drops (also when the caller goes away mid-request).
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.add(1, &[]);
        InFlight(self)
    }

    /// Counts `n` batch items in flight until the guard drops; the guard can move to the thread that
    /// classifies them.
    pub fn batch_items(&self, n: usize) -> BatchItems {
        let n = n as i64;
        self.batch_items.add(n, &[]);
        BatchItems {
            counter: self.batch_items.clone(),
            n,
        }
    }

    /// A batch the shadow scored: `(production class, shadow class)` per product.
    pub fn shadow_scored(&self, version: &str, per_item: Duration, pairs: &[(i64, i64)]) {
        let agreed = pairs.iter().filter(|(p, s)| p == s).count() as u64;
        for (outcome, n) in [("agree", agreed), ("disagree", pairs.len() as u64 - agreed)] {
            self.shadow_predictions.add(
                n,
                &[
                    KeyValue::new("version", version.to_string()),
                    KeyValue::new("outcome", outcome),
                ],
            );
        }
        for (production, _) in pairs.iter().filter(|(p, s)| p != s) {
            self.shadow_disagreements
                .add(1, &[KeyValue::new("prdtypecode", production.to_string())]);
        }
        for _ in pairs {
            self.shadow_latency.record(per_item.as_secs_f64(), &[]);
        }
    }

    pub fn shadow_dropped(&self) {
        self.shadow_dropped.add(1, &[]);
    }

    pub fn request(&self, api: &'static str, outcome: &'static str) {
        self.requests.add(
            1,
            &[KeyValue::new("api", api), KeyValue::new("outcome", outcome)],
        );
    }

    pub fn api_error(&self, error_type: &'static str) {
        self.errors
            .add(1, &[KeyValue::new("error_type", error_type)]);
    }

    /// Everything in the Prometheus text format: the instruments, then the last drift check's gauges.
    pub fn render(&self, drift: Option<&DriftCheck>) -> String {
        let mut families = self.registry.gather();
        if let Some(check) = drift {
            families.extend(check.gauges());
        }
        prometheus::TextEncoder::new()
            .encode_to_string(&families)
            .unwrap_or_else(|e| format!("# encoding failed: {e}\n"))
    }
}

/// A request in flight: counted from [`ServeMetrics::enter`] until dropped.
pub struct InFlight<'a>(&'a ServeMetrics);

/// Batch items in flight: counted from [`ServeMetrics::batch_items`] until dropped.
pub struct BatchItems {
    counter: UpDownCounter<i64>,
    n: i64,
}

impl Drop for BatchItems {
    fn drop(&mut self) {
        self.counter.add(-self.n, &[]);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.add(-1, &[]);
    }
}
