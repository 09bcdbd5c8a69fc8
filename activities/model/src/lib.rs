//! The product-type classifier: rows in, artifacts and metrics out. No database, no network.
//!
//! Reading order:
//! - [`prepare`] — the one text preparation used by training and serving (versioned).
//! - [`data`] — MERGED CSV reader, fixed stratified split.
//! - [`subword`] — BPE tokenizer trained on the training corpus, saved as tokenizer.json.
//! - [`features`] — sparse TF-IDF features: word n-gram vocabulary, or hashed word/char/sub-word n-grams.
//! - [`net`] — the Candle network (bag of feature embeddings, optional head) and its serving twin.
//! - [`config`] — model types, training config, the saved model config.
//! - [`train`] — AdamW, class weighting, early stopping, progress callback.
//! - [`checkpoint`] — per-epoch checkpoints so a training run can resume.
//! - [`classifier`] — [`Classifier`]: predict one, predict a batch on all cores, evaluate.
//! - [`metrics`] — accuracy, F1 macro/weighted, per-class scores, confusion matrix.
//! - [`artifact`] — save and load the artifact folder, with checksum and shape checks.
//! - [`plots`] — confusion matrix and class distribution PNGs.
//! - [`error`] — [`ModelError`].

pub mod artifact;
mod checkpoint;
pub mod classifier;
pub mod config;
pub mod data;
pub mod error;
pub mod features;
pub mod metrics;
pub mod net;
pub mod plots;
pub mod prepare;
pub mod subword;
pub mod train;

pub use classifier::{Classifier, Prediction, ProductText, evaluate};
pub use config::{ModelConfig, ModelType, TrainConfig};
pub use data::{LabeledText, read_merged_csv, stratified_split, write_merged_csv};
pub use error::ModelError;
pub use metrics::{ClassMetrics, Metrics};
pub use prepare::{PREPARATION_VERSION, Prepared, prepare, prepare_text};
pub use train::{Progress, TrainReport, TrainedModel, train, train_with_holdout};
