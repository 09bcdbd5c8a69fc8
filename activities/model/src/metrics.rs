//! Classification metrics: accuracy, macro and weighted F1, per-class scores, confusion matrix.

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub label: i64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Scores of predictions against true labels; `confusion[i][j]` counts rows of `labels[i]` predicted as
/// `labels[j]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub accuracy: f64,
    pub f1_macro: f64,
    pub f1_weighted: f64,
    pub per_class: Vec<ClassMetrics>,
    pub labels: Vec<i64>,
    pub confusion: Vec<Vec<usize>>,
    pub count: usize,
}

impl Metrics {
    /// Scores class indices (into `labels`). Classes absent from both truth and predictions score 0 and count in
    /// the macro average, as scikit-learn does for the labels it is given.
    pub fn from_indices(
        labels: &[i64],
        truth: &[usize],
        predicted: &[usize],
    ) -> Result<Self, ModelError> {
        if truth.len() != predicted.len() {
            return Err(ModelError::InvalidInput(format!(
                "{} true labels but {} predictions",
                truth.len(),
                predicted.len()
            )));
        }
        if truth.is_empty() {
            return Err(ModelError::InvalidInput("no rows to evaluate".into()));
        }
        let k = labels.len();
        let mut confusion = vec![vec![0usize; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            if t >= k || p >= k {
                return Err(ModelError::InvalidInput(format!(
                    "class index out of range 0..{k}"
                )));
            }
            confusion[t][p] += 1;
        }
        let n = truth.len();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassMetrics> = (0..k)
            .map(|c| {
                let tp = confusion[c][c];
                let support: usize = confusion[c].iter().sum();
                let predicted_c: usize = confusion.iter().map(|row| row[c]).sum();
                let (precision, recall) = (ratio(tp, predicted_c), ratio(tp, support));
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                ClassMetrics {
                    label: labels[c],
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect();
        let correct: usize = (0..k).map(|c| confusion[c][c]).sum();
        Ok(Self {
            accuracy: ratio(correct, n),
            f1_macro: per_class.iter().map(|m| m.f1).sum::<f64>() / k as f64,
            f1_weighted: per_class
                .iter()
                .map(|m| m.f1 * m.support as f64)
                .sum::<f64>()
                / n as f64,
            per_class,
            labels: labels.to_vec(),
            confusion,
            count: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked by hand (and against sklearn.metrics.classification_report):
    /// truth  a a a b b c
    /// pred   a a b b c c
    /// a: P 2/2 R 2/3 F1 0.8; b: P 1/2 R 1/2 F1 0.5; c: P 1/2 R 1/1 F1 2/3.
    #[test]
    fn hand_checked_case() {
        let m =
            Metrics::from_indices(&[10, 20, 30], &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2]).unwrap();
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        let f1: Vec<f64> = m.per_class.iter().map(|c| c.f1).collect();
        for (got, want) in f1.iter().zip([0.8, 0.5, 2.0 / 3.0]) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!((m.f1_macro - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((m.f1_weighted - (0.8 * 3.0 + 0.5 * 2.0 + 2.0 / 3.0) / 6.0).abs() < 1e-12);
        assert_eq!(
            m.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert_eq!(m.per_class[0].support, 3);
        assert!((m.per_class[1].precision - 0.5).abs() < 1e-12);
    }

    #[test]
    fn empty_and_mismatched_inputs_are_errors() {
        assert!(Metrics::from_indices(&[1], &[], &[]).is_err());
        assert!(Metrics::from_indices(&[1], &[0], &[]).is_err());
        assert!(Metrics::from_indices(&[1], &[0], &[3]).is_err());
    }
}
