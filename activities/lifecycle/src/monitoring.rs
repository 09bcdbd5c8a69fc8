//! Drift checks on the inference log against the training data: the step the DailyDrift workflow runs. Columns: text length, word count, has description, the designation text, and prediction drift
//! (predicted class against the training label distribution), and — when a Production model is given to score
//! the reference rows — confidence. The report goes to the artifact store as
//! `drift_metrics.json` and a self-contained HTML page, and is recorded in the database.

use chrono::{DateTime, Utc};
use data::inference::DriftReportRecord;
use data::{ArtifactStore, Store};
use drift::{Column, DriftOptions, DriftReport, Frame};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

/// Reference rows are sampled down to this many (seeded), which keeps a check well under a second.
pub const MAX_REFERENCE_ROWS: usize = 20_000;

/// A window's predictions are sampled down to this many (a seeded reservoir over the streamed log), so a
/// check's memory does not grow with the window: about 2 KB per logged row at most (texts are logged up to
/// 1,000 characters a field), some 40 MB at the cap.
pub const MAX_CURRENT_ROWS: usize = 20_000;

/// Fewer inferences than this in a window are reported but never start a retraining: a handful of requests
/// (one client testing, a quiet night) drift by chance, and the statistical tests are not meant for them.
pub const MIN_CURRENT_ROWS: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct DriftCheck {
    pub record: DriftReportRecord,
    /// `None` when the window held no inferences: nothing to compare, no retraining.
    pub report: Option<serde_json::Value>,
    pub retrain: bool,
    pub mean_confidence: Option<f64>,
}

impl DriftCheck {
    /// The check as Prometheus gauges: the dataset verdict, and each monitored column's score and verdict
    /// (labelled by column and stattest).
    pub fn gauges(&self) -> Vec<prometheus::proto::MetricFamily> {
        let r = &self.record;
        let registry = prometheus::Registry::new();
        let gauge = |name: &str, help: &str, value: f64| {
            let g = prometheus::Gauge::new(name, help).expect("a valid gauge name");
            g.set(value);
            registry.register(Box::new(g)).expect("one gauge per name");
        };
        gauge(
            "rakuten_drift_share_ratio",
            "Share of monitored columns that drifted in the last drift check.",
            r.share_drifted,
        );
        gauge(
            "rakuten_drift_share_threshold_ratio",
            "Share of drifted columns above which the dataset drifts and retraining is due.",
            r.share_threshold,
        );
        gauge(
            "rakuten_dataset_drift_detected",
            "1 when the last drift check found dataset drift, else 0.",
            f64::from(u8::from(r.dataset_drift)),
        );
        gauge(
            "rakuten_drift_current_rows",
            "Inferences compared in the last drift check.",
            r.current_rows as f64,
        );
        gauge(
            "rakuten_drift_check_timestamp_seconds",
            "When the last drift check ran (Unix time).",
            r.at.timestamp_millis() as f64 / 1000.0,
        );
        let columns = self
            .report
            .as_ref()
            .and_then(|j| j.get("columns"))
            .and_then(|c| c.as_array())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let per_column = |name: &str, help: &str, field: &str| {
            let opts = prometheus::Opts::new(name, help);
            let g = prometheus::GaugeVec::new(opts, &["column", "stattest"])
                .expect("a valid gauge name");
            for c in columns {
                let (Some(column), Some(test)) = (
                    c.get("column_name").and_then(|v| v.as_str()),
                    c.get("stattest").and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                let value = match c.get(field) {
                    Some(serde_json::Value::Bool(b)) => f64::from(u8::from(*b)),
                    Some(v) => match v.as_f64() {
                        Some(v) => v,
                        None => continue,
                    },
                    None => continue,
                };
                g.with_label_values(&[column, test]).set(value);
            }
            registry.register(Box::new(g)).expect("one gauge per name");
        };
        per_column(
            "rakuten_drift_column_score",
            "Drift score of each monitored column (p-value or distance, per stattest).",
            "drift_score",
        );
        per_column(
            "rakuten_drift_column_detected",
            "1 when the column drifted in the last drift check.",
            "drift_detected",
        );
        registry.gather()
    }

    /// The last recorded check, its report read back (verified) from the artifact store; `None` before the
    /// first check.
    pub async fn latest(
        store: &Store,
        artifacts: &ArtifactStore,
    ) -> anyhow::Result<Option<DriftCheck>> {
        let Some(record) = store.drift_reports(1).await?.pop() else {
            return Ok(None);
        };
        Ok(Some(DriftCheck::of_record(record, artifacts).await?))
    }

    /// A recorded check, its report read back (verified) from the artifact store.
    pub async fn of_record(
        record: DriftReportRecord,
        artifacts: &ArtifactStore,
    ) -> anyhow::Result<DriftCheck> {
        let bytes = artifacts
            .get_verified(&record.json_key, &record.json_sha256)
            .await?;
        Ok(DriftCheck {
            retrain: record.dataset_drift,
            report: serde_json::from_slice(&bytes).ok(),
            record,
            mean_confidence: None,
        })
    }

    /// [`DriftCheck::gauges`] in the Prometheus text exposition format.
    pub fn prometheus_text(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.gauges())
            .unwrap_or_else(|e| format!("# encoding failed: {e}\n"))
    }
}

/// What a window is compared with: rows with their labels, where they came from, and the model whose
/// confidence on them is the reference confidence.
pub struct Reference {
    pub rows: Vec<(String, String, i64)>,
    /// Where the rows came from, for the report (`dataset ds-… of rakuten_classifier v3`).
    pub source: String,
    pub scorer: Option<std::sync::Arc<model::Classifier>>,
}

/// The id of the report of a window: named by the window (to the millisecond), so a retried check of the same
/// window finds its report, and two windows never share one.
pub fn report_id(since: DateTime<Utc>, until: DateTime<Utc>) -> String {
    format!(
        "drift-{}-{}",
        since.format("%Y%m%dT%H%M%S%3f"),
        until.format("%Y%m%dT%H%M%S%3f")
    )
}

/// The drift check of `[since, until)` against the data the model that served the window was trained on: the
/// version that served most of its predictions, its dataset version's training and validation rows (each
/// product once), its confidence as the reference confidence. When that cannot be found (a model registered by
/// hand, predictions of a model not in the registry) the loaded rows and the Production model stand in, and
/// the report says so. A window checked before returns its recorded report.
pub async fn drift_check_served(
    registry: &registry::Registry,
    name: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    share_threshold: f64,
    actor: &str,
) -> anyhow::Result<DriftCheck> {
    let against = Against::Served { registry, name };
    let (store, artifacts) = (&registry.store, &registry.artifacts);
    check_window(
        store,
        artifacts,
        since,
        until,
        share_threshold,
        against,
        actor,
    )
    .await
}

/// The drift check of `[since, until)` against every loaded row, with `scorer`'s confidence as the reference
/// confidence (`rakuten drift check`'s comparison when no served model is known, and the tests').
pub async fn drift_check(
    store: &Store,
    artifacts: &ArtifactStore,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    share_threshold: f64,
    scorer: Option<std::sync::Arc<model::Classifier>>,
    actor: &str,
) -> anyhow::Result<DriftCheck> {
    let against = Against::Loaded(scorer);
    check_window(
        store,
        artifacts,
        since,
        until,
        share_threshold,
        against,
        actor,
    )
    .await
}

/// What a window is compared with.
enum Against<'a> {
    /// The training data of the version that served most of the window, else the loaded rows.
    Served {
        registry: &'a registry::Registry,
        name: &'a str,
    },
    /// The loaded rows, scored by this model.
    Loaded(Option<std::sync::Arc<model::Classifier>>),
}

async fn check_window(
    store: &Store,
    artifacts: &ArtifactStore,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    share_threshold: f64,
    against: Against<'_>,
    actor: &str,
) -> anyhow::Result<DriftCheck> {
    if let Some(done) = recorded(store, artifacts, since, until).await? {
        return Ok(done);
    }
    let sample = sample_window(store, since, until).await?;
    let served = match &against {
        Against::Served { registry, .. } => served_reference(registry, &sample).await?,
        Against::Loaded(_) => None,
    };
    let reference = match (served, against) {
        (Some(r), _) => r,
        (None, Against::Served { registry, name }) => Reference {
            rows: store.training_texts().await?,
            source: "the loaded rows (the serving model's dataset is not known)".into(),
            scorer: crate::pipeline::load_production(registry, name)
                .await?
                .map(|(_, c)| std::sync::Arc::new(c)),
        },
        (None, Against::Loaded(scorer)) => Reference {
            rows: store.training_texts().await?,
            source: "the loaded rows".into(),
            scorer,
        },
    };
    check_sample(
        store,
        artifacts,
        since,
        until,
        share_threshold,
        sample,
        reference,
        actor,
    )
    .await
}

/// The report of a window checked before, read back (verified): a retry gives the same id, bytes and row.
async fn recorded(
    store: &Store,
    artifacts: &ArtifactStore,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Option<DriftCheck>> {
    let Some(record) = store.drift_report(&report_id(since, until)).await? else {
        return Ok(None);
    };
    let mut check = DriftCheck::of_record(record, artifacts).await?;
    check.retrain =
        check.record.dataset_drift && check.record.current_rows >= MIN_CURRENT_ROWS as i64;
    Ok(Some(check))
}

/// The window's predictions, sampled down to [`MAX_CURRENT_ROWS`] (seeded by the window).
async fn sample_window(
    store: &Store,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<data::inference::InferenceSample> {
    let seed = since.timestamp_millis() as u64 ^ (until.timestamp_millis() as u64).rotate_left(32);
    Ok(store
        .inference_sample(since, until, MAX_CURRENT_ROWS, seed)
        .await?)
}

/// The training data of the version that served most of the window, with that version as the scorer.
async fn served_reference(
    registry: &registry::Registry,
    sample: &data::inference::InferenceSample,
) -> anyhow::Result<Option<Reference>> {
    let Some((name, version)) = sample.main_version() else {
        return Ok(None);
    };
    let Ok(number) = version.parse::<i64>() else {
        return Ok(None);
    };
    let served = match registry.version(name, number).await {
        Ok(v) => v,
        Err(registry::RegistryError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(dataset_id) = served.dataset_version.clone() else {
        return Ok(None);
    };
    let Some(dataset) = registry.store.dataset_version(&dataset_id).await? else {
        return Ok(None);
    };
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for split in ["train", "validation"] {
        for r in data::dataset::read_split(&registry.artifacts, &dataset.manifest, split).await? {
            // The training split is resampled (oversampled classes repeat rows): each product once.
            if seen.insert(r.productid) {
                rows.push((r.designation, r.description, r.prdtypecode));
            }
        }
    }
    let scorer = crate::pipeline::load_version(registry, &served).await?;
    let share = sample
        .by_version
        .get(&(name.clone(), version.clone()))
        .copied()
        .unwrap_or(0) as f64
        / sample.total.max(1) as f64;
    Ok(Some(Reference {
        rows,
        source: format!(
            "dataset {dataset_id} of {name} v{number} (served {:.0} % of the window)",
            share * 100.0
        ),
        scorer: Some(std::sync::Arc::new(scorer)),
    }))
}

#[allow(clippy::too_many_arguments)]
async fn check_sample(
    store: &Store,
    artifacts: &ArtifactStore,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    share_threshold: f64,
    sample: data::inference::InferenceSample,
    reference: Reference,
    actor: &str,
) -> anyhow::Result<DriftCheck> {
    let Reference {
        rows: mut reference,
        source,
        scorer,
    } = reference;
    if reference.is_empty() {
        return Err(data::DataError::NothingLoaded.into());
    }
    reference.sort();
    reference.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(42));
    reference.truncate(MAX_REFERENCE_ROWS);
    let current = sample.rows;
    let window_rows = sample.total as i64;
    // Named by its window: a retried check of the same window finds this report (see `recorded`); a check that
    // fails after writing the artifacts writes the same bytes again (the same rows, seeded samples). Rows logged
    // into an already checked window after the check are not in its report.
    let id = report_id(since, until);
    let prefix = format!("drift/{id}");

    let (mut report, html) = if current.is_empty() {
        let json = serde_json::json!({
            "dataset_drift": false, "drift_share": share_threshold, "number_of_columns": 0,
            "number_of_drifted_columns": 0, "share_of_drifted_columns": 0.0, "columns": [],
            "note": format!("no inferences between {since} and {until}: nothing to compare"),
        });
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Drift report {id}</title></head><body>\
             <h1>Drift report</h1><p>No inferences between {since} and {until}: nothing to compare, no retraining.</p></body></html>"
        );
        (json, html)
    } else {
        // Confidence needs the model's view of the reference rows: score them with the serving model.
        let reference_confidence = match scorer {
            Some(classifier) => {
                let texts = reference.clone();
                Some(
                    tokio::task::spawn_blocking(move || {
                        let items: Vec<model::ProductText<'_>> = texts
                            .iter()
                            .map(|r| model::ProductText {
                                designation: &r.0,
                                description: &r.1,
                            })
                            .collect();
                        classifier
                            .predict_batch(&items, 1)
                            .map(|ps| ps.iter().map(|p| p.confidence as f64).collect::<Vec<_>>())
                    })
                    .await??,
                )
            }
            None => None,
        };
        let (reference_frame, current_frame) = frames(&reference, &current, reference_confidence)?;
        let options = DriftOptions::with_drift_share(share_threshold);
        let r = tokio::task::spawn_blocking(move || {
            DriftReport::compute(&reference_frame, &current_frame, &options)
        })
        .await??;
        let html = r.to_html(&format!(
            "Drift report {id}: {} inferences from {since} to {until} ({} compared) against {source}",
            window_rows,
            current.len()
        ));
        (r.to_json(), html)
    };
    report["reference"] = serde_json::json!({ "source": source, "rows": reference.len() });
    report["current"] = serde_json::json!({
        "window_rows": window_rows, "compared_rows": current.len(), "cap": MAX_CURRENT_ROWS,
        "since": since.to_rfc3339(), "until": until.to_rfc3339(),
    });
    if !current.is_empty() && (current.len()) < MIN_CURRENT_ROWS {
        report["note"] = serde_json::json!(format!(
            "insufficient data: {} inferences, fewer than {MIN_CURRENT_ROWS}; no retraining whatever the drift",
            current.len()
        ));
    }
    let json_bytes = serde_json::to_vec_pretty(&report)?;
    let json_key = format!("{prefix}/drift_metrics.json");
    let html_key = format!("{prefix}/report.html");
    let json_sha256 = artifacts.put(&json_key, json_bytes).await?;
    let html_sha256 = artifacts.put(&html_key, html.into_bytes()).await?;
    let f = |k: &str| report.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
    let record = DriftReportRecord {
        id,
        at: Utc::now(),
        window_start: since,
        window_end: until,
        reference_rows: reference.len() as i64,
        current_rows: window_rows,
        dataset_drift: report
            .get("dataset_drift")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        share_drifted: f("share_of_drifted_columns"),
        share_threshold,
        drifted_columns: f("number_of_drifted_columns") as i64,
        columns: f("number_of_columns") as i64,
        json_key,
        html_key,
        json_sha256,
        html_sha256,
        actor: actor.to_string(),
    };
    store.record_drift_report(&record).await?;
    let mean_confidence = (!current.is_empty())
        .then(|| current.iter().map(|r| r.confidence).sum::<f64>() / current.len() as f64);
    Ok(DriftCheck {
        retrain: record.dataset_drift && current.len() >= MIN_CURRENT_ROWS,
        report: (!current.is_empty()).then_some(report),
        record,
        mean_confidence,
    })
}

fn frames(
    reference: &[(String, String, i64)],
    current: &[data::inference::InferenceRecord],
    reference_confidence: Option<Vec<f64>>,
) -> Result<(Frame, Frame), drift::DriftError> {
    let words =
        |d: &str, s: &str| (d.split_whitespace().count() + s.split_whitespace().count()) as f64;
    let chars = |d: &str, s: &str| (d.chars().count() + s.chars().count()) as f64;
    let flag = |b: bool| Some(if b { "yes" } else { "no" }.to_string());
    let reference_frame = Frame::new()
        .with(
            "text_len_chars",
            Column::Numerical(reference.iter().map(|r| chars(&r.0, &r.1)).collect()),
        )?
        .with(
            "word_count",
            Column::Numerical(reference.iter().map(|r| words(&r.0, &r.1)).collect()),
        )?
        .with(
            "has_description",
            Column::Categorical(
                reference
                    .iter()
                    .map(|r| flag(!r.1.trim().is_empty()))
                    .collect(),
            ),
        )?
        .with(
            "prdtypecode",
            Column::Categorical(reference.iter().map(|r| Some(r.2.to_string())).collect()),
        )?
        .with(
            "designation",
            Column::Text(reference.iter().map(|r| Some(r.0.clone())).collect()),
        )?;
    let current_frame = Frame::new()
        .with(
            "text_len_chars",
            Column::Numerical(current.iter().map(|r| r.text_len_chars as f64).collect()),
        )?
        .with(
            "word_count",
            Column::Numerical(current.iter().map(|r| r.word_count as f64).collect()),
        )?
        .with(
            "has_description",
            Column::Categorical(current.iter().map(|r| flag(r.has_description)).collect()),
        )?
        .with(
            "prdtypecode",
            Column::Categorical(
                current
                    .iter()
                    .map(|r| Some(r.predicted_class.to_string()))
                    .collect(),
            ),
        )?
        .with(
            "designation",
            Column::Text(
                current
                    .iter()
                    .map(|r| Some(r.designation.clone()))
                    .collect(),
            ),
        )?;
    let (mut reference_frame, mut current_frame) = (reference_frame, current_frame);
    if let Some(confidence) = reference_confidence {
        reference_frame.push("confidence", Column::Numerical(confidence))?;
        current_frame.push(
            "confidence",
            Column::Numerical(current.iter().map(|r| r.confidence).collect()),
        )?;
    }
    Ok((reference_frame, current_frame))
}

/// `90s`, `30m`, `24h`, `7d` → a duration; `None` for anything else, including values too large to represent.
pub fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "s" => chrono::Duration::try_seconds(n),
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_retrain_threshold() {
        assert_eq!(drift::RETRAIN_DRIFT_SHARE, contracts::RETRAIN_DRIFT_SHARE);
    }

    #[test]
    fn durations() {
        assert_eq!(
            super::parse_duration("24h"),
            Some(chrono::Duration::hours(24))
        );
        assert_eq!(super::parse_duration("7d"), Some(chrono::Duration::days(7)));
        assert_eq!(super::parse_duration("h"), None);
        assert_eq!(super::parse_duration("5w"), None);
        assert_eq!(super::parse_duration("99999999999999999d"), None);
    }
}
