//! Resumable training: after every epoch the current and best weights and the early-stopping state go to the
//! checkpoint folder; a run with the same config picks up at the next epoch.
//!
//! Consistency: each save writes the weights to files named by the epoch, then `state.json` (atomically, by
//! rename) naming those files, then removes the previous epoch's files. `state.json` is the commit point: a
//! crash at any moment leaves a state whose weights are the ones it names (at worst, unreferenced files that the
//! next save removes).
//!
//! The optimiser's moment estimates are not saved (they would triple the checkpoint), so a resumed run restarts
//! them: the result is close to, not bit-identical with, an uninterrupted run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::error::ModelError;
use crate::net::{Dims, Weights};
use crate::tensors::{read_tensors, write_atomic, write_tensors};

/// Per-epoch record kept in metrics.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f32,
    pub validation_f1_weighted: f64,
}

const STATE: &str = "state.json";
const CURRENT: &str = "current";
const BEST: &str = "best";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    config: TrainConfig,
    dims: Dims,
    next_epoch: usize,
    best_epoch: usize,
    best_f1: f64,
    epochs_since_best: usize,
    history: Vec<EpochRecord>,
    /// The weight files this state belongs to (written before it).
    current_file: String,
    best_file: String,
}

/// The epoch a checkpoint folder resumes at, if it holds a readable checkpoint (whatever its config).
pub fn resume_epoch(dir: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(dir.join(STATE)).ok()?;
    let state: State = serde_json::from_str(&text).ok()?;
    Some(state.next_epoch)
}

/// The file a checkpoint folder's manifest is in: written last, it names the weight files it belongs to.
pub const MANIFEST: &str = STATE;

/// A checkpoint's manifest (`state.json`): the epoch it resumes at and the weight files it names, which a copy
/// must hold before the manifest itself is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub next_epoch: usize,
    pub files: Vec<String>,
}

impl Manifest {
    /// Reads a manifest's bytes; `None` when they are not one.
    pub fn parse(bytes: &[u8]) -> Option<Manifest> {
        let state: State = serde_json::from_slice(bytes).ok()?;
        let safe = |f: &str| !f.is_empty() && !f.contains(['/', '\\']) && !f.starts_with('.');
        if !safe(&state.current_file) || !safe(&state.best_file) {
            return None;
        }
        let mut files = vec![state.current_file];
        if state.best_file != files[0] {
            files.push(state.best_file);
        }
        Some(Manifest {
            next_epoch: state.next_epoch,
            files,
        })
    }
}

pub(crate) struct Checkpoint {
    pub next_epoch: usize,
    pub best_epoch: usize,
    pub best_f1: f64,
    pub epochs_since_best: usize,
    pub history: Vec<EpochRecord>,
    pub weights: Weights,
    pub best_weights: Weights,
}

impl Checkpoint {
    pub fn fresh(weights: Weights) -> Self {
        Self {
            next_epoch: 0,
            best_epoch: 0,
            best_f1: -1.0,
            epochs_since_best: 0,
            history: Vec::new(),
            best_weights: weights.clone(),
            weights,
        }
    }

    /// `scored` are the weights `f1` was measured with (the epoch's average, if averaging), `weights` those
    /// training continues from (`None`: not kept, as without a checkpoint folder nothing reads them). Returns the
    /// weights no longer needed (the previous best, or `scored`), whose memory the trainer can reuse.
    pub fn record(
        &mut self,
        epoch: usize,
        train_loss: f32,
        f1: f64,
        min_delta: f64,
        weights: Option<Weights>,
        scored: Weights,
    ) -> Weights {
        self.history.push(EpochRecord {
            epoch,
            train_loss,
            validation_f1_weighted: f1,
        });
        if let Some(weights) = weights {
            self.weights = weights;
        }
        self.next_epoch = epoch + 1;
        if f1 > self.best_f1 + min_delta {
            self.best_f1 = f1;
            self.best_epoch = epoch;
            self.epochs_since_best = 0;
            std::mem::replace(&mut self.best_weights, scored)
        } else {
            self.epochs_since_best += 1;
            scored
        }
    }

    /// `Ok(None)` when the folder holds no checkpoint; an error when it holds one of another config.
    pub fn load(dir: &Path, cfg: &TrainConfig, dims: Dims) -> Result<Option<Self>, ModelError> {
        let path = dir.join(STATE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::io(&path, e))?;
        let state: State = serde_json::from_str(&text).map_err(|e| {
            ModelError::artifact(&path, format!("unreadable checkpoint state: {e}"))
        })?;
        if !same_run(&state.config, cfg) || state.dims != dims {
            return Err(ModelError::artifact(
                &path,
                "checkpoint belongs to a different training config; remove it or use another checkpoint dir",
            ));
        }
        let read = |name: &str| -> Result<Weights, ModelError> {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| ModelError::io(&path, e))?;
            let tensors = read_tensors(&path, &bytes, &dims.tensor_shapes())?;
            Ok(Weights { dims, tensors })
        };
        Ok(Some(Self {
            next_epoch: state.next_epoch,
            best_epoch: state.best_epoch,
            best_f1: state.best_f1,
            epochs_since_best: state.epochs_since_best,
            history: state.history,
            weights: read(&state.current_file)?,
            best_weights: read(&state.best_file)?,
        }))
    }

    pub fn save(&self, dir: &Path, cfg: &TrainConfig, dims: Dims) -> Result<(), ModelError> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        let file = |kind: &str| format!("{kind}-{}.safetensors", self.next_epoch);
        let (current_file, best_file) = (file(CURRENT), file(BEST));
        for (name, weights) in [
            (&current_file, &self.weights),
            (&best_file, &self.best_weights),
        ] {
            let path = dir.join(name);
            let bytes = write_tensors(&path, &dims.tensor_shapes(), &weights.tensors)?;
            write_atomic(&path, &bytes)?;
        }
        let state = State {
            config: cfg.clone(),
            dims,
            next_epoch: self.next_epoch,
            best_epoch: self.best_epoch,
            best_f1: self.best_f1,
            epochs_since_best: self.epochs_since_best,
            history: self.history.clone(),
            current_file: current_file.clone(),
            best_file: best_file.clone(),
        };
        let path = dir.join(STATE);
        let json = serde_json::to_vec_pretty(&state)
            .map_err(|e| ModelError::artifact(&path, e.to_string()))?;
        // The commit point: before this rename the previous state and its files are intact.
        write_atomic(&path, &json)?;
        // Only now are the previous epoch's weights unreferenced.
        let entries = std::fs::read_dir(dir).map_err(|e| ModelError::io(dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".safetensors") && name != current_file && name != best_file {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

fn same_run(a: &TrainConfig, b: &TrainConfig) -> bool {
    let strip = |c: &TrainConfig| TrainConfig {
        checkpoint_dir: None,
        max_epochs: 0,
        ..c.clone()
    };
    strip(a) == strip(b)
}
