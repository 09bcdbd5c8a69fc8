//! Prometheus metrics of this binary, in one place. Drift checks publish their result in the Prometheus text
//! format (a textfile-collector file, and the inference service's `/metrics`); the inference service's own
//! instruments ([`ServeMetrics`]) go through opentelemetry into a `prometheus::Registry`.
//! Names follow `rakuten_<what>_<unit>[_total]`; labels are bounded (27 classes, the error types of
//! `serve::error`, two kinds of call, the five monitored columns).

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    Counter, Histogram, MeterProvider, ObservableCounter, ObservableGauge,
};
use opentelemetry_sdk::metrics::SdkMeterProvider;

use crate::monitoring::DriftCheck;
use crate::serve::core::ModelSlot;
use crate::serve::log::LogStats;

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
    // Observable instruments live as long as their handles.
    _gauges: [ObservableGauge<f64>; 2],
    _counters: [ObservableCounter<u64>; 3],
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
        let l = log.clone();
        let dropped = meter
            .u64_observable_counter("rakuten_inference_log_dropped_total")
            .with_description("Inference log rows lost: queue full, or the database write failed.")
            .with_callback(move |o| o.observe(l.dropped.load(Ordering::Relaxed), &[]))
            .build();
        let written = meter
            .u64_observable_counter("rakuten_inference_log_written_total")
            .with_description("Inference log rows written to the database.")
            .with_callback(move |o| o.observe(log.written.load(Ordering::Relaxed), &[]))
            .build();
        ServeMetrics {
            registry,
            _provider: provider,
            predictions,
            latency,
            text_len,
            errors,
            _gauges: [info, loaded_at],
            _counters: [load_failures, dropped, written],
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

    pub fn api_error(&self, error_type: &'static str) {
        self.errors
            .add(1, &[KeyValue::new("error_type", error_type)]);
    }

    /// Everything in the Prometheus text format: the instruments, then the last drift check's gauges.
    pub fn render(&self, drift: Option<&DriftCheck>) -> String {
        let mut text = prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|e| format!("# encoding failed: {e}\n"));
        if let Some(check) = drift {
            text.push_str(&drift_prometheus_text(check));
        }
        text
    }
}

/// The last drift check as Prometheus text exposition format.
pub fn drift_prometheus_text(check: &DriftCheck) -> String {
    let r = &check.record;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, samples: &[(String, f64)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {}", fmt_value(*value));
        }
    };
    gauge(
        "rakuten_drift_share_ratio",
        "Share of monitored columns that drifted in the last drift check.",
        &[(String::new(), r.share_drifted)],
    );
    gauge(
        "rakuten_drift_share_threshold_ratio",
        "Share of drifted columns above which the dataset drifts and retraining is due.",
        &[(String::new(), r.share_threshold)],
    );
    gauge(
        "rakuten_dataset_drift_detected",
        "1 when the last drift check found dataset drift, else 0.",
        &[(String::new(), if r.dataset_drift { 1.0 } else { 0.0 })],
    );
    gauge(
        "rakuten_drift_current_rows",
        "Inferences compared in the last drift check.",
        &[(String::new(), r.current_rows as f64)],
    );
    gauge(
        "rakuten_drift_check_timestamp_seconds",
        "When the last drift check ran (Unix time).",
        &[(String::new(), r.at.timestamp_millis() as f64 / 1000.0)],
    );
    let columns = check
        .report
        .as_ref()
        .and_then(|j| j.get("columns"))
        .and_then(|c| c.as_array())
        .cloned()
        .unwrap_or_default();
    let per_column = |field: &str| -> Vec<(String, f64)> {
        columns
            .iter()
            .filter_map(|c| {
                let name = c.get("column_name")?.as_str()?;
                let test = c.get("stattest")?.as_str()?;
                let value = match c.get(field)? {
                    serde_json::Value::Bool(b) => f64::from(u8::from(*b)),
                    v => v.as_f64()?,
                };
                Some((
                    format!(
                        "{{column=\"{}\",stattest=\"{}\"}}",
                        escape(name),
                        escape(test)
                    ),
                    value,
                ))
            })
            .collect()
    };
    gauge(
        "rakuten_drift_column_score",
        "Drift score of each monitored column (p-value or distance, per stattest).",
        &per_column("drift_score"),
    );
    gauge(
        "rakuten_drift_column_detected",
        "1 when the column drifted in the last drift check.",
        &per_column("drift_detected"),
    );
    out
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
