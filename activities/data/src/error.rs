//! The data layer's one error type. Binaries turn it into a message; servers map it once to a status.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Bad input in a CSV file: names the file, the line (1-based, as an editor shows it) and the problem.
    #[error("{}:{line}: {message}", file.display())]
    Csv {
        file: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("no source pool has been imported yet: run `rakuten data import` first")]
    NoSourcePool,
    #[error(
        "a different source pool is already imported (import #{import_id}, checksum {checksum}); \
         start from a fresh database to import another"
    )]
    PoolConflict { import_id: i64, checksum: String },
    #[error("no rows are loaded yet: run `rakuten data load --initial 40` first")]
    NothingLoaded,
    #[error("database URL {0:?} is not supported: use sqlite://PATH or postgres://…")]
    UnsupportedDatabase(String),
    #[error("artifact store {url}: {message}")]
    ArtifactConfig { url: String, message: String },
    #[error("artifact {key}: sha256 mismatch (expected {expected}, found {found})")]
    ArtifactCorrupt {
        key: String,
        expected: String,
        found: String,
    },
    #[error("artifact store: {0}")]
    Artifact(#[from] object_store::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl DataError {
    pub(crate) fn csv(file: impl Into<PathBuf>, line: u64, message: impl Into<String>) -> Self {
        DataError::Csv {
            file: file.into(),
            line,
            message: message.into(),
        }
    }

    /// True when the error is the caller's input, not the system: workflows must not retry these.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            DataError::Csv { .. }
                | DataError::InvalidArgument(_)
                | DataError::NoSourcePool
                | DataError::PoolConflict { .. }
                | DataError::NothingLoaded
                | DataError::UnsupportedDatabase(_)
        ) || matches!(self, DataError::Io { source, .. }
                if matches!(source.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied))
    }
}

impl DataError {
    /// The artifact store did not answer (or answered with a server error): worth a retry, unlike a missing or
    /// corrupt object, which is a judgement on the artifact.
    pub fn is_store_unavailable(&self) -> bool {
        matches!(self, DataError::Artifact(e) if !matches!(e, object_store::Error::NotFound { .. }))
    }
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;
