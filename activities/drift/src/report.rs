//! The drift report: every column of the reference tested against the current data, and the
//! dataset verdict from the share of drifted columns.

use std::collections::HashMap;

use serde::Serialize;

use crate::column::{ColumnSettings, column_drift};
use crate::{ColumnDrift, ColumnType, DriftError, Frame, StatTest, html};

/// Evidently's default share of drifted columns for dataset drift (`DataDriftPreset`).
pub const EVIDENTLY_DRIFT_SHARE: f64 = 0.5;
/// The project's share of drifted columns that triggers retraining (see the drift workflow).
pub const RETRAIN_DRIFT_SHARE: f64 = 0.3;
/// The seed Evidently gives its text domain classifier.
pub const DEFAULT_TEXT_SEED: u32 = 42;

/// How columns are tested and when the dataset counts as drifted.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftOptions {
    /// Dataset drift when the share of drifted columns is at least this (inclusive).
    pub drift_share: f64,
    /// One test for every column (Evidently's `all_features_stattest`).
    pub stattest: Option<StatTest>,
    /// Tests per column name; wins over `stattest`.
    pub per_column_stattest: HashMap<String, StatTest>,
    /// One threshold for every column instead of each test's default.
    pub stattest_threshold: Option<f64>,
    /// Thresholds per column name; wins over `stattest_threshold`.
    pub per_column_threshold: HashMap<String, f64>,
    /// Seed of the text domain classifier (split, training, random AUCs).
    pub text_seed: u32,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            drift_share: EVIDENTLY_DRIFT_SHARE,
            stattest: None,
            per_column_stattest: HashMap::new(),
            stattest_threshold: None,
            per_column_threshold: HashMap::new(),
            text_seed: DEFAULT_TEXT_SEED,
        }
    }
}

impl DriftOptions {
    /// Evidently's defaults with another dataset drift share (the project retrains at 0.3).
    pub fn with_drift_share(drift_share: f64) -> Self {
        Self {
            drift_share,
            ..Self::default()
        }
    }

    fn settings_for(&self, column: &str) -> ColumnSettings {
        ColumnSettings {
            stattest: self
                .per_column_stattest
                .get(column)
                .copied()
                .or(self.stattest),
            threshold: self
                .per_column_threshold
                .get(column)
                .copied()
                .or(self.stattest_threshold),
            text_seed: self.text_seed,
        }
    }

    fn validate(&self) -> Result<(), DriftError> {
        let shares_ok = (0.0..=1.0).contains(&self.drift_share);
        let thresholds_ok = self
            .stattest_threshold
            .iter()
            .chain(self.per_column_threshold.values())
            .all(|t| t.is_finite());
        if !shares_ok {
            return Err(DriftError::InvalidOption(format!(
                "drift_share must be within 0..=1, got {}",
                self.drift_share
            )));
        }
        if !thresholds_ok {
            return Err(DriftError::InvalidOption(
                "thresholds must be finite".into(),
            ));
        }
        Ok(())
    }
}

/// The result of a drift run; serialises to `drift_metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub dataset_drift: bool,
    /// The share threshold used for `dataset_drift`.
    pub drift_share: f64,
    pub number_of_columns: usize,
    pub number_of_drifted_columns: usize,
    pub share_of_drifted_columns: f64,
    pub n_reference_rows: usize,
    pub n_current_rows: usize,
    pub columns: Vec<ColumnDrift>,
}

impl DriftReport {
    /// Tests every column of `reference` against the same-named column of `current`.
    pub fn compute(
        reference: &Frame,
        current: &Frame,
        options: &DriftOptions,
    ) -> Result<Self, DriftError> {
        options.validate()?;
        if reference.n_columns() == 0 {
            return Err(DriftError::NoColumns);
        }
        if reference.n_rows() == 0 {
            return Err(DriftError::EmptyData("reference"));
        }
        if current.n_rows() == 0 {
            return Err(DriftError::EmptyData("current"));
        }
        let pairs = reference
            .columns()
            .map(|(name, ref_col)| {
                let cur_col = current
                    .column(name)
                    .ok_or_else(|| DriftError::MissingColumn(name.to_string()))?;
                Ok((name, ref_col, cur_col, options.settings_for(name)))
            })
            .collect::<Result<Vec<_>, DriftError>>()?;
        // Text columns (the slow domain classifier) run on their own threads while the other
        // columns are tested here.
        let columns = std::thread::scope(|s| {
            let text: Vec<_> = pairs
                .iter()
                .filter(|p| p.1.column_type() == ColumnType::Text)
                .map(|&(name, r, c, settings)| s.spawn(move || column_drift(name, r, c, settings)))
                .collect();
            let mut text = text.into_iter();
            let mut out = Vec::with_capacity(pairs.len());
            let mut done = Vec::new();
            for &(name, r, c, settings) in &pairs {
                if r.column_type() != ColumnType::Text {
                    done.push(column_drift(name, r, c, settings));
                }
            }
            let mut done = done.into_iter();
            for &(name, r, c, settings) in &pairs {
                let result = if r.column_type() == ColumnType::Text {
                    text.next()
                        .and_then(|h| h.join().ok())
                        .unwrap_or_else(|| column_drift(name, r, c, settings))
                } else {
                    done.next()
                        .unwrap_or_else(|| column_drift(name, r, c, settings))
                };
                out.push(result?);
            }
            Ok::<_, DriftError>(out)
        })?;
        Ok(Self::from_columns(
            columns,
            options.drift_share,
            reference.n_rows(),
            current.n_rows(),
        ))
    }

    /// Dataset verdict over column results (Evidently `get_dataset_drift`).
    pub fn from_columns(
        columns: Vec<ColumnDrift>,
        drift_share: f64,
        n_reference_rows: usize,
        n_current_rows: usize,
    ) -> Self {
        let number_of_columns = columns.len();
        let number_of_drifted_columns = columns.iter().filter(|c| c.drift_detected).count();
        let share_of_drifted_columns = if number_of_columns == 0 {
            0.0
        } else {
            number_of_drifted_columns as f64 / number_of_columns as f64
        };
        Self {
            dataset_drift: number_of_columns > 0 && share_of_drifted_columns >= drift_share,
            drift_share,
            number_of_columns,
            number_of_drifted_columns,
            share_of_drifted_columns,
            n_reference_rows,
            n_current_rows,
            columns,
        }
    }

    pub fn column(&self, name: &str) -> Option<&ColumnDrift> {
        self.columns.iter().find(|c| c.column_name == name)
    }

    /// The `drift_metrics.json` document.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// A self-contained HTML page: summary, per-column table and inline SVG histograms.
    pub fn to_html(&self, title: &str) -> String {
        html::render(self, title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    fn frame(values: Vec<f64>, cats: Vec<&str>) -> Frame {
        Frame::new()
            .with("x", Column::Numerical(values))
            .unwrap()
            .with(
                "c",
                Column::Categorical(cats.into_iter().map(|s| Some(s.to_string())).collect()),
            )
            .unwrap()
    }

    #[test]
    fn dataset_drift_is_inclusive_of_the_share() {
        let reference = frame((0..100).map(f64::from).collect(), vec!["a"; 100]);
        let current = frame((50..150).map(f64::from).collect(), vec!["a"; 100]);
        let report = DriftReport::compute(&reference, &current, &DriftOptions::default()).unwrap();
        assert_eq!(report.number_of_drifted_columns, 1);
        assert_eq!(report.share_of_drifted_columns, 0.5);
        assert!(report.dataset_drift);
        let strict = DriftOptions::with_drift_share(0.6);
        assert!(
            !DriftReport::compute(&reference, &current, &strict)
                .unwrap()
                .dataset_drift
        );
    }

    #[test]
    fn odd_values_give_results_not_panics() {
        let cols = |nums: Vec<f64>, texts: Vec<Option<String>>| {
            Frame::new()
                .with("n", Column::Numerical(nums))
                .unwrap()
                .with("c", Column::Categorical(texts.clone()))
                .unwrap()
                .with("t", Column::Text(texts))
                .unwrap()
        };
        let cases = [
            (
                vec![f64::INFINITY, 1.0, -1e308],
                vec![f64::NEG_INFINITY, 1e308, 2.0],
            ),
            (vec![f64::NAN; 3], vec![1.0, 2.0, 3.0]),
            (vec![0.0, -0.0, 0.0], vec![-0.0, 0.0, 0.0]),
        ];
        let texts = vec![None, Some(String::new()), Some("a".into())];
        for (r, c) in cases {
            for test in [None, Some(StatTest::JensenShannon), Some(StatTest::Psi)] {
                let mut options = DriftOptions::default();
                if let Some(t) = test {
                    options.per_column_stattest.insert("n".into(), t);
                }
                let report = DriftReport::compute(
                    &cols(r.clone(), texts.clone()),
                    &cols(c.clone(), texts.clone()),
                    &options,
                )
                .unwrap();
                assert_eq!(report.number_of_columns, 3);
                let _ = report.to_html("odd");
            }
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let reference = frame(vec![1.0, 2.0], vec!["a", "b"]);
        let empty = frame(vec![], vec![]);
        let opts = DriftOptions::default();
        assert!(matches!(
            DriftReport::compute(&reference, &empty, &opts),
            Err(DriftError::EmptyData("current"))
        ));
        let only_x = Frame::new()
            .with("x", Column::Numerical(vec![1.0]))
            .unwrap();
        assert!(matches!(
            DriftReport::compute(&reference, &only_x, &opts),
            Err(DriftError::MissingColumn(_))
        ));
        assert!(
            DriftReport::compute(&reference, &reference, &DriftOptions::with_drift_share(2.0))
                .is_err()
        );
    }
}
