//! The model registry: the single source of truth for which model serves.
//!
//! - [`runs`]: experiments and runs (parameters, metrics by step, dataset version, code version, artifacts).
//! - [`versions`]: registered models, versions, stages (None / Staging / Production / Archived), aliases,
//!   promotion (atomic: never two Production versions), rollback to the previous Production version.
//! - [`policy`]: the promotion policy as one pure function.
//! - [`artifact`]: model folders in the artifact store, content-addressed and sha256-verified.
//! - [`notify`]: change notification (PostgreSQL LISTEN/NOTIFY, a cheap generation check otherwise).

pub mod artifact;
pub mod error;
pub mod notify;
pub mod policy;
pub mod runs;
mod sql;
pub mod versions;

use data::{ArtifactStore, Store};

pub use error::{RegistryError, Result};
pub use policy::{Decision, Paired, Policy, Scored};
pub use versions::{ModelVersion, RegisterRequest, Stage};

/// Default registered model name.
pub const DEFAULT_MODEL_NAME: &str = contracts::MODEL_NAME;

/// The registry over the project's database and artifact store.
#[derive(Clone, Debug)]
pub struct Registry {
    pub store: Store,
    pub artifacts: ArtifactStore,
}

impl Registry {
    pub fn new(store: Store, artifacts: ArtifactStore) -> Registry {
        Registry { store, artifacts }
    }
}
