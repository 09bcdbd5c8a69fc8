//! Data drift detection that gives Evidently's answers (legacy `DataDriftPreset`), in Rust.
//!
//! Build a reference and a current [`Frame`], call [`DriftReport::compute`], then write
//! [`DriftReport::to_json`] (`drift_metrics.json`) and [`DriftReport::to_html`].
//!
//! ```
//! use drift::{Column, DriftOptions, DriftReport, Frame, RETRAIN_DRIFT_SHARE};
//!
//! let frame = |shift: f64| {
//!     let values = (0..200).map(|i| f64::from(i) + shift).collect();
//!     Frame::new().with("text_len_chars", Column::Numerical(values))
//! };
//! let options = DriftOptions::with_drift_share(RETRAIN_DRIFT_SHARE);
//! let report = DriftReport::compute(&frame(0.0)?, &frame(60.0)?, &options)?;
//! assert_eq!(report.columns[0].stattest_name, "K-S p_value");
//! assert!(report.dataset_drift);
//! # Ok::<(), drift::DriftError>(())
//! ```
//!
//! Scores follow Evidently 0.7.23 (legacy `DataDriftPreset`) with scipy 1.17 and scikit-learn
//! 1.9: the golden cases in `../shared/fixtures/drift` agree to 1e-6 relative (in practice
//! 1e-10), decisions exactly. Text columns get Evidently's own domain classifier — its random
//! split, TF-IDF vocabulary and SGD rebuilt step by step — so their ROC AUC is Evidently's too.

/// One column: cleaning of missing values, test selection, score and decision.
pub mod column;
/// The crate's error type.
pub mod error;
/// Running and checking the golden fixtures computed with Evidently.
pub mod fixture;
/// Named numerical, categorical and text columns: the input of a report.
pub mod frame;
/// The report as a self-contained HTML page.
pub mod html;
/// The report over all columns and the dataset verdict.
pub mod report;
/// p-value special functions (chi-square, normal and Smirnov tails).
pub mod special;
/// The statistical tests themselves (KS, chi-square, Z, Wasserstein, Jensen–Shannon, PSI).
pub mod stats;
/// The tests by Evidently id, their thresholds and decision rules, and the default choice.
pub mod stattest;
/// Text drift: a domain classifier (TF-IDF + SGD, as scikit-learn) scored by ROC AUC.
pub mod text;

pub use column::{Chart, ColumnDrift};
pub use error::DriftError;
pub use fixture::{Mismatch, check_fixture, run_fixture};
pub use frame::{Column, ColumnType, Frame};
pub use report::{
    DEFAULT_TEXT_SEED, DriftOptions, DriftReport, EVIDENTLY_DRIFT_SHARE, RETRAIN_DRIFT_SHARE,
};
pub use stattest::StatTest;
