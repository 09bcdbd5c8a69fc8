//! The SQL behind the pages that the crates below do not already answer: counts without scanning the inference
//! log, class distributions, the searchable sample and the prediction history, both paged by key (never OFFSET)
//! so that a page costs the same on the millionth row as on the first.

use chrono::{DateTime, Utc};
use data::{Store, with_pool};
use sqlx::QueryBuilder;

pub const PAGE: i64 = 50;

/// Rows loaded, in the pool, in the holdout (no scan of the inference log).
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub pool_rows: i64,
    pub loaded_rows: i64,
    pub holdout_rows: i64,
}

impl Counts {
    pub fn percent_loaded(&self) -> f64 {
        if self.pool_rows == 0 {
            0.0
        } else {
            100.0 * self.loaded_rows as f64 / self.pool_rows as f64
        }
    }
}

pub async fn counts(store: &Store) -> anyhow::Result<Counts> {
    let state: Option<(i64, i64)> = with_pool!(store, p => {
        sqlx::query_as("SELECT pool_rows, loaded_rows FROM pool_state WHERE id = 1").fetch_optional(p).await?
    });
    let holdout: Option<i64> = with_pool!(store, p => {
        sqlx::query_scalar("SELECT holdout_rows FROM imports ORDER BY id LIMIT 1").fetch_optional(p).await?
    });
    let (pool_rows, loaded_rows) = state.unwrap_or((0, 0));
    Ok(Counts {
        pool_rows,
        loaded_rows,
        holdout_rows: holdout.unwrap_or(0),
    })
}

/// Per class: (prdtypecode, pool rows, loaded rows, holdout rows).
pub async fn class_distribution(store: &Store) -> anyhow::Result<Vec<(i64, i64, i64, i64)>> {
    let source: Vec<(i64, i64, i64)> = with_pool!(store, p => {
        sqlx::query_as(
            "SELECT prdtypecode, SUM(CASE WHEN is_holdout THEN 0 ELSE 1 END), SUM(CASE WHEN is_holdout THEN 1 ELSE 0 END) \
             FROM source_rows GROUP BY prdtypecode ORDER BY prdtypecode",
        )
        .fetch_all(p)
        .await?
    });
    let loaded: Vec<(i64, i64)> = with_pool!(store, p => {
        sqlx::query_as("SELECT prdtypecode, row_count FROM class_counts").fetch_all(p).await?
    });
    let loaded: std::collections::HashMap<i64, i64> = loaded.into_iter().collect();
    Ok(source
        .into_iter()
        .map(|(code, pool, holdout)| (code, pool, loaded.get(&code).copied().unwrap_or(0), holdout))
        .collect())
}

/// A loaded product of the sample viewer.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Product {
    pub productid: i64,
    pub designation: String,
    pub description: String,
    pub prdtypecode: i64,
    pub batch: String,
}

/// Loaded products after `after` (by product id), whose designation contains `search`, of class `class`.
pub async fn products(
    store: &Store,
    search: Option<&str>,
    class: Option<i64>,
    after: Option<i64>,
) -> anyhow::Result<Vec<Product>> {
    let rows: Vec<Product> = with_pool!(store, p => {
        let mut q = QueryBuilder::new(
            "SELECT p.productid, p.designation, p.description, l.prdtypecode, b.name AS batch FROM products p \
             JOIN labels l ON l.productid = p.productid JOIN load_batches b ON b.id = p.batch_id WHERE 1 = 1",
        );
        if let Some(s) = search.filter(|s| !s.is_empty()) {
            q.push(" AND LOWER(p.designation) LIKE ").push_bind(format!("%{}%", like_escape(&s.to_lowercase())));
            q.push(" ESCAPE '\\'");
        }
        if let Some(c) = class {
            q.push(" AND l.prdtypecode = ").push_bind(c);
        }
        if let Some(a) = after {
            q.push(" AND p.productid > ").push_bind(a);
        }
        q.push(" ORDER BY p.productid LIMIT ").push_bind(PAGE + 1);
        q.build_query_as().fetch_all(p).await?
    });
    Ok(rows)
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// One logged prediction.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Logged {
    pub prediction_id: String,
    pub at: DateTime<Utc>,
    pub model_version: String,
    pub designation: String,
    pub predicted_class: i64,
    pub confidence: f64,
    pub latency_ms: f64,
}

/// The prediction history's filters and page position (newest first).
#[derive(Clone, Debug, Default)]
pub struct HistoryFilter {
    pub class: Option<i64>,
    pub version: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// The last row of the previous page: (at, prediction_id).
    pub before: Option<(DateTime<Utc>, String)>,
}

/// A page of the inference log, newest first (`PAGE + 1` rows: the extra one says there is a next page).
pub async fn history(store: &Store, f: &HistoryFilter) -> anyhow::Result<Vec<Logged>> {
    let rows: Vec<Logged> = with_pool!(store, p => {
        let mut q = QueryBuilder::new(
            "SELECT prediction_id, at, model_version, designation, predicted_class, confidence, latency_ms \
             FROM inference_log WHERE 1 = 1",
        );
        if let Some(c) = f.class {
            q.push(" AND predicted_class = ").push_bind(c);
        }
        if let Some(v) = &f.version {
            q.push(" AND model_version = ").push_bind(v.clone());
        }
        if let Some(s) = f.since {
            q.push(" AND at >= ").push_bind(s);
        }
        if let Some(u) = f.until {
            q.push(" AND at < ").push_bind(u);
        }
        // `at <= X` first: a range the indexes on `at` can seek to (an OR of the two cases alone cannot).
        if let Some((at, id)) = &f.before {
            q.push(" AND at <= ").push_bind(*at).push(" AND (at < ").push_bind(*at)
                .push(" OR prediction_id < ").push_bind(id.clone()).push(")");
        }
        q.push(" ORDER BY at DESC, prediction_id DESC LIMIT ").push_bind(PAGE + 1);
        q.build_query_as().fetch_all(p).await?
    });
    Ok(rows)
}

/// Records an operator's action that the crates below do not audit themselves (starting a workflow, a schedule).
pub async fn audit(
    store: &Store,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    with_pool!(store, p => {
        let mut tx = p.begin().await?;
        data::audit!(tx, actor, action, entity, entity_id, details)?;
        tx.commit().await?;
    });
    Ok(())
}
