//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while computing or reading drift results.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("column `{0}` is defined twice")]
    DuplicateColumn(String),
    #[error("column `{column}` has {got} values, expected {expected} (the frame's row count)")]
    RaggedColumn {
        column: String,
        expected: usize,
        got: usize,
    },
    #[error("column `{0}` is in the reference but not in the current data")]
    MissingColumn(String),
    #[error("column `{column}` is {reference} in the reference but {current} in the current data")]
    ColumnTypeMismatch {
        column: String,
        reference: &'static str,
        current: &'static str,
    },
    #[error("the reference data has no columns to compare")]
    NoColumns,
    #[error("the {0} data has no rows")]
    EmptyData(&'static str),
    #[error("unknown statistical test `{0}`")]
    UnknownStatTest(String),
    #[error("test `{stattest}` cannot be used on {column_type} column `{column}`")]
    InvalidStatTestForType {
        stattest: &'static str,
        column: String,
        column_type: &'static str,
    },
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid fixture {path}: {reason}")]
    Fixture { path: PathBuf, reason: String },
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}
