//! The inference log: every prediction, written in batches by the inference service, read by drift checks,
//! exported in the original system's CSV shape; and the record of drift reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;

use crate::error::Result;
use crate::store::{Store, with_pool};

/// Input text is kept up to this many characters per field.
pub const MAX_LOGGED_CHARS: usize = 1000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct InferenceRecord {
    pub prediction_id: String,
    pub at: DateTime<Utc>,
    pub model_name: String,
    pub model_version: String,
    pub designation: String,
    pub description: String,
    pub imageid: Option<i64>,
    pub text_len_chars: i64,
    pub word_count: i64,
    pub has_description: bool,
    pub predicted_class: i64,
    pub confidence: f64,
    pub latency_ms: f64,
}

/// What [`Store::inference_sample`] returns.
#[derive(Debug, Clone, Default)]
pub struct InferenceSample {
    /// At most the cap, oldest first.
    pub rows: Vec<InferenceRecord>,
    /// Predictions in the window.
    pub total: u64,
    /// Predictions in the window per (model name, model version) that served them.
    pub by_version: std::collections::BTreeMap<(String, String), u64>,
}

impl InferenceSample {
    /// The (model name, version) that served the most predictions of the window (the first on a tie).
    pub fn main_version(&self) -> Option<&(String, String)> {
        let mut best: Option<(&(String, String), u64)> = None;
        for (k, &n) in &self.by_version {
            if best.is_none_or(|(_, b)| n > b) {
                best = Some((k, n));
            }
        }
        best.map(|(k, _)| k)
    }
}

impl InferenceRecord {
    /// Derives the length columns from the full text, then truncates the text to the logged bound.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        prediction_id: String,
        at: DateTime<Utc>,
        model: (&str, &str),
        designation: &str,
        description: &str,
        imageid: Option<i64>,
        predicted_class: i64,
        confidence: f64,
        latency_ms: f64,
    ) -> InferenceRecord {
        let text_len_chars = (designation.chars().count() + description.chars().count()) as i64;
        let word_count = (designation.split_whitespace().count()
            + description.split_whitespace().count()) as i64;
        // NUL is valid UTF-8 but PostgreSQL text refuses it: one such input would lose its whole batch.
        let cut = |s: &str| {
            s.chars()
                .filter(|&c| c != '\0')
                .take(MAX_LOGGED_CHARS)
                .collect::<String>()
        };
        InferenceRecord {
            prediction_id,
            at,
            model_name: model.0.into(),
            model_version: model.1.into(),
            designation: cut(designation),
            description: cut(description),
            imageid,
            text_len_chars,
            word_count,
            has_description: !description.trim().is_empty(),
            predicted_class,
            confidence,
            latency_ms,
        }
    }
}

/// One stored drift report.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DriftReportRecord {
    pub id: String,
    pub at: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub reference_rows: i64,
    pub current_rows: i64,
    pub dataset_drift: bool,
    pub share_drifted: f64,
    pub share_threshold: f64,
    pub drifted_columns: i64,
    pub columns: i64,
    pub json_key: String,
    pub html_key: String,
    pub json_sha256: String,
    pub html_sha256: String,
    pub actor: String,
}

impl Store {
    /// Appends a batch of predictions in one statement per 500 rows; a prediction id already logged is skipped.
    pub async fn append_inference_log(&self, rows: &[InferenceRecord]) -> Result<u64> {
        let mut written = 0;
        for chunk in rows.chunks(500) {
            written += with_pool!(self, p => {
                let mut q = QueryBuilder::new(
                    "INSERT INTO inference_log (prediction_id, at, model_name, model_version, designation, description, \
                     imageid, text_len_chars, word_count, has_description, predicted_class, confidence, latency_ms) ",
                );
                q.push_values(chunk, |mut b, r| {
                    b.push_bind(&r.prediction_id).push_bind(r.at).push_bind(&r.model_name).push_bind(&r.model_version)
                        .push_bind(&r.designation).push_bind(&r.description).push_bind(r.imageid)
                        .push_bind(r.text_len_chars).push_bind(r.word_count).push_bind(r.has_description)
                        .push_bind(r.predicted_class).push_bind(r.confidence).push_bind(r.latency_ms);
                });
                q.push(" ON CONFLICT (prediction_id) DO NOTHING");
                q.build().execute(p).await?.rows_affected()
            });
        }
        Ok(written)
    }

    /// Predictions logged in `[since, until)`, oldest first.
    pub async fn inference_log(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<InferenceRecord>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT prediction_id, at, model_name, model_version, designation, description, imageid, text_len_chars, \
                 word_count, has_description, predicted_class, confidence, latency_ms FROM inference_log \
                 WHERE at >= $1 AND at < $2 ORDER BY at, prediction_id",
            )
            .bind(since).bind(until).fetch_all(p).await?
        }))
    }

    /// A seeded uniform sample of at most `cap` predictions logged in `[since, until)`, streamed (reservoir
    /// sampling, algorithm R): memory is bounded by `cap` rows whatever the window holds. The same window, log and
    /// seed give the same sample. Also counts the window's rows in all and per served model version.
    pub async fn inference_sample(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        cap: usize,
        seed: u64,
    ) -> Result<InferenceSample> {
        use futures::TryStreamExt;
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut sample = InferenceSample::default();
        // First pass: ids and versions only (no texts decoded), a reservoir of ids. Second: the chosen rows.
        let mut chosen: Vec<String> = Vec::with_capacity(cap.min(1 << 16));
        let mut keep = |id: String, name: String, version: String, sample: &mut InferenceSample| {
            let key = (name, version);
            match sample.by_version.get_mut(&key) {
                Some(n) => *n += 1,
                None => {
                    sample.by_version.insert(key, 1);
                }
            }
            sample.total += 1;
            if chosen.len() < cap {
                chosen.push(id);
            } else {
                let j = rng.random_range(0..sample.total);
                if (j as usize) < cap {
                    chosen[j as usize] = id;
                }
            }
        };
        with_pool!(self, p => {
            let mut rows = sqlx::query_as::<_, (String, String, String)>(
                "SELECT prediction_id, model_name, model_version FROM inference_log \
                 WHERE at >= $1 AND at < $2 ORDER BY at, prediction_id",
            )
            .bind(since).bind(until).fetch(p);
            while let Some((id, name, version)) = rows.try_next().await? {
                keep(id, name, version, &mut sample);
            }
        });
        sample.rows.reserve(chosen.len());
        for ids in chosen.chunks(500) {
            let rows: Vec<InferenceRecord> = with_pool!(self, p => {
                let mut q = QueryBuilder::new(
                    "SELECT prediction_id, at, model_name, model_version, designation, description, imageid, \
                     text_len_chars, word_count, has_description, predicted_class, confidence, latency_ms \
                     FROM inference_log WHERE prediction_id IN (",
                );
                let mut list = q.separated(", ");
                for id in ids {
                    list.push_bind(id);
                }
                q.push(")");
                q.build_query_as().fetch_all(p).await?
            });
            sample.rows.extend(rows);
        }
        sample
            .rows
            .sort_by(|a, b| (a.at, &a.prediction_id).cmp(&(b.at, &b.prediction_id)));
        Ok(sample)
    }

    /// The drift report recorded under `id`, if any.
    pub async fn drift_report(&self, id: &str) -> Result<Option<DriftReportRecord>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, at, window_start, window_end, reference_rows, current_rows, dataset_drift, share_drifted, \
                 share_threshold, drifted_columns, columns, json_key, html_key, json_sha256, html_sha256, actor \
                 FROM drift_reports WHERE id = $1",
            )
            .bind(id).fetch_optional(p).await?
        }))
    }

    /// The loaded training rows as drift reference: (designation, description, prdtypecode).
    pub async fn training_texts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT p.designation, p.description, l.prdtypecode FROM products p JOIN labels l ON l.productid = p.productid \
                 ORDER BY p.productid",
            )
            .fetch_all(p)
            .await?
        }))
    }

    pub async fn record_drift_report(&self, r: &DriftReportRecord) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO drift_reports (id, at, window_start, window_end, reference_rows, current_rows, dataset_drift, \
                 share_drifted, share_threshold, drifted_columns, columns, json_key, html_key, json_sha256, html_sha256, actor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&r.id).bind(r.at).bind(r.window_start).bind(r.window_end).bind(r.reference_rows).bind(r.current_rows)
            .bind(r.dataset_drift).bind(r.share_drifted).bind(r.share_threshold).bind(r.drifted_columns).bind(r.columns)
            .bind(&r.json_key).bind(&r.html_key).bind(&r.json_sha256).bind(&r.html_sha256).bind(&r.actor)
            .execute(&mut *tx).await?;
            crate::store::audit!(tx, &r.actor, "drift_report", "drift_report", &r.id, serde_json::json!({
                "dataset_drift": r.dataset_drift, "share_drifted": r.share_drifted, "current_rows": r.current_rows,
            }))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest drift reports first.
    pub async fn drift_reports(&self, limit: i64) -> Result<Vec<DriftReportRecord>> {
        Ok(with_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, at, window_start, window_end, reference_rows, current_rows, dataset_drift, share_drifted, \
                 share_threshold, drifted_columns, columns, json_key, html_key, json_sha256, html_sha256, actor \
                 FROM drift_reports ORDER BY at DESC, id LIMIT $1",
            )
            .bind(limit).fetch_all(p).await?
        }))
    }
}
