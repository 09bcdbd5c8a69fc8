//! Prometheus metrics of this binary, in one place. Drift checks publish their result in the Prometheus text
//! format (a textfile-collector file today; the inference service's `/metrics` will serve the same gauges).
//! Names follow `rakuten_<what>_<unit>`; labels are bounded (the five monitored columns).

use std::fmt::Write;

use crate::monitoring::DriftCheck;

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
