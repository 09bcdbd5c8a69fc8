//! The registry's one error type.

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("model {name} version {version}: artifact {problem}; it cannot be promoted or served")]
    BadArtifact {
        name: String,
        version: i64,
        problem: String,
    },
    /// The artifact could not be checked now (store unreachable, local disk): may pass, decides nothing.
    #[error("model {name} version {version}: artifact could not be checked now: {problem}")]
    ArtifactUnavailable {
        name: String,
        version: i64,
        problem: String,
    },
    /// Production moved on while a paired comparison was computed: compare again (transient).
    #[error(
        "model {name}: the comparison was with v{compared}, Production is now v{now}; compare again"
    )]
    ChampionChanged {
        name: String,
        compared: i64,
        now: i64,
    },
    #[error("model {0} has no earlier Production version to roll back to")]
    NothingToRollBack(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl RegistryError {
    /// The caller's mistake (not worth a retry).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RegistryError::NotFound(_)
            | RegistryError::InvalidArgument(_)
            | RegistryError::BadArtifact { .. }
            | RegistryError::NothingToRollBack(_) => true,
            RegistryError::Data(d) => d.is_bad_input(),
            RegistryError::Io { source, .. } => {
                matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                )
            }
            _ => false,
        }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
