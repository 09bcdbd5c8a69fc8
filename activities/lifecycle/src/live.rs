//! The live score: when a batch of labelled rows arrives, the Production model is scored on it before any model
//! trains on it. Those rows are new to the model, so their F1 is the best estimate of its F1 on live traffic; a
//! live F1 well below the holdout F1 says the data has moved on (the "live F1 below holdout" alert).

use contracts::lifecycle::LiveScoreOutput;
use data::LiveScore;

use crate::error::BadInput;
use crate::pipeline::{Lifecycle, labeled, load_production};

impl Lifecycle {
    /// Scores the Production model on `batch`'s rows and records it (once per batch and version: a retry, or a
    /// second run of the week, returns the recorded score). `None` when no model is in Production yet or the
    /// batch loaded no rows.
    pub async fn score_batch(&self, batch: &str) -> anyhow::Result<Option<LiveScoreOutput>> {
        let Some(production) = self.registry.production(&self.name).await? else {
            return Ok(None);
        };
        // The first score of a batch stands: a later run of the same week would find a model trained on it.
        if let Some(s) = self
            .store
            .live_scores_of_batch(batch, &self.name)
            .await?
            .first()
        {
            return Ok(Some(output(s)));
        }
        let batches = self.store.load_batches().await?;
        let Some(this) = batches.iter().find(|b| b.name == batch) else {
            return Err(BadInput(format!("batch {batch} was never loaded")).into());
        };
        // A model that trained on the batch (its dataset reaches this batch or a later one) would score its own
        // training rows: no live score then.
        if let Some(id) = &production.dataset_version
            && let Some(d) = self.store.dataset_version(id).await?
            && let Some(last) = &d.manifest.last_batch
            && batches.iter().any(|b| &b.name == last && b.id >= this.id)
        {
            return Ok(None);
        }
        let rows = self.store.batch_rows(batch).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let Some((version, classifier)) = load_production(&self.registry, &self.name).await? else {
            return Ok(None);
        };
        let n = rows.len() as i64;
        let texts = labeled(rows);
        let metrics = tokio::task::spawn_blocking(move || classifier.evaluate(&texts)).await??;
        let score = LiveScore {
            batch: batch.to_string(),
            model_name: self.name.clone(),
            version: version.version,
            rows: n,
            accuracy: metrics.accuracy,
            f1_weighted: metrics.f1_weighted,
            f1_macro: metrics.f1_macro,
            holdout_f1: version.f1_weighted(),
            at: chrono::Utc::now(),
            actor: self.actor.clone(),
        };
        let stored = self.store.record_live_score(&score).await?;
        tracing::info!(
            batch,
            version = stored.version,
            rows = stored.rows,
            live_f1 = stored.f1_weighted,
            holdout_f1 = ?stored.holdout_f1,
            "live score"
        );
        Ok(Some(output(&stored)))
    }
}

fn output(s: &LiveScore) -> LiveScoreOutput {
    LiveScoreOutput {
        batch: s.batch.clone(),
        version: s.version,
        rows: s.rows,
        f1_weighted: s.f1_weighted,
        holdout_f1: s.holdout_f1,
    }
}
