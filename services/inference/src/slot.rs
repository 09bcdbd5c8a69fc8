//! The model slot: the model being served, read on every request (lock-free) and written by the model watcher
//! ([`crate::reload`]); what health and metrics report of it.

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};
use model::Classifier;
use registry::ModelVersion;
use serde::Serialize;

/// The model being served, with where it came from.
#[derive(Debug)]
pub struct LoadedModel {
    pub version: ModelVersion,
    pub classifier: Classifier,
    pub loaded_at: DateTime<Utc>,
    /// `version.version` as the string responses and logs carry.
    pub version_label: String,
}

/// A Production version that could not be loaded (the previous model kept serving).
#[derive(Debug, Clone, Serialize)]
pub struct LoadFailure {
    pub version: i64,
    pub error: String,
    pub at: DateTime<Utc>,
}

/// The model slot: read on every request (lock-free), written by the model watcher.
#[derive(Debug, Default)]
pub struct ModelSlot {
    pub current: ArcSwapOption<LoadedModel>,
    pub load_failures: AtomicU64,
    pub last_failure: Mutex<Option<LoadFailure>>,
    /// The served version's stage as the registry says now, once it has left Production with nothing promoted
    /// in its place (archived, rolled back to nothing): it keeps serving, and health says so. `None` while it
    /// is the Production version.
    pub retired_stage: Mutex<Option<String>>,
}

impl ModelSlot {
    /// The stage of the served model: Production, or what it became since it was loaded.
    pub fn stage_of(&self, m: &LoadedModel) -> String {
        match self.retired_stage.lock().ok().and_then(|s| s.clone()) {
            Some(stage) => stage,
            None => m.version.stage.as_str().to_string(),
        }
    }

    pub fn retired(&self) -> bool {
        self.retired_stage.lock().is_ok_and(|s| s.is_some())
    }

    pub fn set_retired_stage(&self, stage: Option<String>) {
        if let Ok(mut s) = self.retired_stage.lock() {
            *s = stage;
        }
    }
}
