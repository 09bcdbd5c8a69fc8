//! The one error type of the crate: every failure a caller can see, with enough context to act on it.

use std::path::PathBuf;

/// Everything that can go wrong while reading data, training, saving, loading or predicting.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {message}")]
    Io {
        path: PathBuf,
        message: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: no data rows")]
    EmptyData { path: PathBuf },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("training cancelled")]
    Cancelled,
    #[error("label {label} is not one of the model's {known} classes")]
    UnknownLabel { label: i64, known: usize },
    #[error("artifact {path}: {message}")]
    Artifact { path: PathBuf, message: String },
    #[error(
        "artifact {path}: sha256 mismatch (config.json says {expected}, file has {actual}); the file is corrupt or from another model"
    )]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("plot {path}: {message}")]
    Plot { path: PathBuf, message: String },
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let message = source.to_string();
        Self::Io {
            path: path.into(),
            message,
            source,
        }
    }

    pub(crate) fn artifact(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Artifact {
            path: path.into(),
            message: message.into(),
        }
    }
}
