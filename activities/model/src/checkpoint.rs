//! Resumable training: after every epoch the current and best weights and the early-stopping state go to the
//! checkpoint folder; a run with the same config picks up at the next epoch.
//!
//! AdamW's moment estimates are not part of candle's public API, so a resumed run restarts them: the result is
//! close to, not bit-identical with, an uninterrupted run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::artifact::{read_tensors, write_tensors};
use crate::config::TrainConfig;
use crate::error::ModelError;
use crate::net::{Dims, Weights};
use crate::train::EpochRecord;

const STATE: &str = "state.json";
const CURRENT: &str = "current.safetensors";
const BEST: &str = "best.safetensors";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    config: TrainConfig,
    dims: Dims,
    next_epoch: usize,
    best_epoch: usize,
    best_f1: f64,
    epochs_since_best: usize,
    history: Vec<EpochRecord>,
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
    /// training continues from.
    pub fn record(
        &mut self,
        epoch: usize,
        train_loss: f32,
        f1: f64,
        weights: Weights,
        scored: Weights,
    ) {
        self.history.push(EpochRecord {
            epoch,
            train_loss,
            validation_f1_weighted: f1,
        });
        if f1 > self.best_f1 {
            self.best_f1 = f1;
            self.best_epoch = epoch;
            self.best_weights = scored;
            self.epochs_since_best = 0;
        } else {
            self.epochs_since_best += 1;
        }
        self.weights = weights;
        self.next_epoch = epoch + 1;
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
            weights: read(CURRENT)?,
            best_weights: read(BEST)?,
        }))
    }

    pub fn save(&self, dir: &Path, cfg: &TrainConfig, dims: Dims) -> Result<(), ModelError> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        for (name, weights) in [(CURRENT, &self.weights), (BEST, &self.best_weights)] {
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
        };
        let path = dir.join(STATE);
        let json = serde_json::to_vec_pretty(&state)
            .map_err(|e| ModelError::artifact(&path, e.to_string()))?;
        // The state goes last: a crash before it leaves the previous, consistent epoch.
        write_atomic(&path, &json)
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

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| ModelError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ModelError::io(path, e))
}
