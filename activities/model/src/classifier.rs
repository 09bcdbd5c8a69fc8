//! Serving: a loaded model that turns raw product text into class probabilities.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::ModelConfig;
use crate::data::LabeledText;
use crate::error::ModelError;
use crate::features::{Featurizer, SparseVec};
use crate::metrics::Metrics;
use crate::net::{Weights, softmax};
use crate::prepare::prepare;

/// The answer for one product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub predicted_class: i64,
    pub confidence: f32,
    /// The `k` most probable classes, most probable first.
    pub top_k: Vec<(i64, f32)>,
}

/// Raw text of one product to classify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductText<'a> {
    pub designation: &'a str,
    pub description: &'a str,
}

impl<'a> From<&'a LabeledText> for ProductText<'a> {
    fn from(row: &'a LabeledText) -> Self {
        Self {
            designation: &row.designation,
            description: &row.description,
        }
    }
}

/// A trained model ready to predict; cheap to share between threads (`Send + Sync`, read-only).
#[derive(Debug, Clone)]
pub struct Classifier {
    pub(crate) config: ModelConfig,
    pub(crate) featurizer: Featurizer,
    pub(crate) weights: Weights,
}

impl Classifier {
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// `prdtypecode` of each output, in output order.
    pub fn labels(&self) -> &[i64] {
        &self.config.labels
    }

    /// Probability of every class of [`Classifier::labels`].
    pub fn probabilities(
        &self,
        designation: &str,
        description: &str,
    ) -> Result<Vec<f32>, ModelError> {
        let prepared = prepare(designation, description);
        let features = self.featurizer.transform(&prepared)?;
        Ok(self.probabilities_of(&features))
    }

    /// Calibrated class probabilities of featurised text: `softmax(logits / temperature)`, then the top class's
    /// scaling when the model has one.
    pub(crate) fn probabilities_of(&self, features: &SparseVec) -> Vec<f32> {
        let mut probs = self.weights.logits(features);
        let t = self.config.temperature;
        if t != 1.0 && t > 0.0 {
            probs.iter_mut().for_each(|l| *l /= t);
        }
        softmax(&mut probs);
        if let Some(top) = &self.config.top_scaling {
            top.apply(&mut probs);
        }
        probs
    }

    pub fn predict(
        &self,
        designation: &str,
        description: &str,
        top_k: usize,
    ) -> Result<Prediction, ModelError> {
        let probs = self.probabilities(designation, description)?;
        Ok(self.rank(&probs, top_k))
    }

    /// Predicts many products on all cores; results in input order.
    pub fn predict_batch(
        &self,
        items: &[ProductText<'_>],
        top_k: usize,
    ) -> Result<Vec<Prediction>, ModelError> {
        items
            .par_iter()
            .with_min_len(64)
            .map(|item| self.predict(item.designation, item.description, top_k))
            .collect()
    }

    /// Probabilities of many products on all cores; results in input order.
    pub fn probabilities_batch(
        &self,
        items: &[ProductText<'_>],
    ) -> Result<Vec<Vec<f32>>, ModelError> {
        items
            .par_iter()
            .with_min_len(64)
            .map(|item| self.probabilities(item.designation, item.description))
            .collect()
    }

    /// Scores the model on labelled rows; a label the model does not know is an error.
    pub fn evaluate(&self, rows: &[LabeledText]) -> Result<Metrics, ModelError> {
        let (truth, probabilities) = self.score_rows(rows)?;
        let predicted: Vec<usize> = probabilities.iter().map(|p| argmax(p)).collect();
        Metrics::from_indices(self.labels(), &truth, &predicted)
    }

    /// Expected calibration error of the model's confidence on labelled rows ([`crate::calibration::ece`]).
    pub fn calibration_error(&self, rows: &[LabeledText]) -> Result<f64, ModelError> {
        let (truth, probabilities) = self.score_rows(rows)?;
        Ok(crate::calibration::ece(&probabilities, &truth))
    }

    /// The calibration bins of the model's confidence on labelled rows, to pool over several test sets.
    pub fn calibration_bins(
        &self,
        rows: &[LabeledText],
    ) -> Result<crate::calibration::EceBins, ModelError> {
        let (truth, probabilities) = self.score_rows(rows)?;
        Ok(crate::calibration::EceBins::of(&probabilities, &truth))
    }

    /// Each row's class index and the model's probabilities for it.
    fn score_rows(&self, rows: &[LabeledText]) -> Result<(Vec<usize>, Vec<Vec<f32>>), ModelError> {
        let truth = rows
            .iter()
            .map(|r| self.class_index(r.label))
            .collect::<Result<Vec<_>, _>>()?;
        let items: Vec<ProductText<'_>> = rows.iter().map(ProductText::from).collect();
        Ok((truth, self.probabilities_batch(&items)?))
    }

    /// The same model with another temperature (1 = uncalibrated), e.g. to measure what calibration changed.
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.config.temperature = temperature;
        self
    }

    /// The same model without calibration: temperature 1, no top-class scaling.
    pub fn uncalibrated(mut self) -> Self {
        self.config.temperature = 1.0;
        self.config.top_scaling = None;
        self
    }

    pub(crate) fn class_index(&self, label: i64) -> Result<usize, ModelError> {
        self.config
            .labels
            .binary_search(&label)
            .map_err(|_| ModelError::UnknownLabel {
                label,
                known: self.config.labels.len(),
            })
    }

    fn rank(&self, probs: &[f32], top_k: usize) -> Prediction {
        let mut order: Vec<usize> = (0..probs.len()).collect();
        // Ties go to the lower class index, as in argmax.
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
        let best = order.first().copied().unwrap_or(0);
        Prediction {
            predicted_class: self.config.labels.get(best).copied().unwrap_or_default(),
            confidence: probs.get(best).copied().unwrap_or_default(),
            top_k: order
                .iter()
                .take(top_k)
                .map(|&i| (self.config.labels[i], probs[i]))
                .collect(),
        }
    }
}

/// Evaluates a classifier on labelled rows (see [`Classifier::evaluate`]).
pub fn evaluate(classifier: &Classifier, rows: &[LabeledText]) -> Result<Metrics, ModelError> {
    classifier.evaluate(rows)
}

pub(crate) fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}
