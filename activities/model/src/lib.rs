//! The product-type classifier: rows in, artifacts and metrics out. No database, no network.
//!
//! ```no_run
//! # fn main() -> Result<(), model::ModelError> {
//! use std::path::Path;
//! // rakuten model train --data MERGED.csv --out DIR [--model-type tfidf_logreg]
//! let rows = model::read_merged_csv(Path::new("merged.csv"))?;
//! let cfg = model::TrainConfig::for_model("ngram_logreg".parse()?);
//! let trained = model::train_with_holdout(&rows, 0.1, &cfg, |p| eprintln!("{p:?}"))?;
//! trained.save(Path::new("artifacts/run-1"))?;
//! // rakuten model eval --model DIR --data MERGED.csv --json
//! let classifier = model::Classifier::load(Path::new("artifacts/run-1"))?;
//! let metrics = classifier.evaluate(&rows)?; // serde: accuracy, f1_weighted, f1_macro, per_class, confusion
//! // rakuten model predict --model DIR --designation … [--description …] --json
//! let prediction = classifier.predict("Piscine tubulaire 3m", "", 5)?;
//! # let _ = (metrics, prediction);
//! # Ok(())
//! # }
//! ```
//!
//! The default model, `ngram_logreg`, was chosen by `bench/model_bench.sh`: on the real sample's 80/20 split it
//! scores about 0.77 weighted F1 (the `tfidf_logreg` baseline about 0.69) and trains in seconds.
//!
//! Reading order:
//! - [`prepare`] — the one text preparation used by training and serving (versioned).
//! - [`data`] — MERGED CSV reader, fixed stratified split.
//! - [`subword`] — BPE tokenizer trained on the training corpus, saved as tokenizer.json.
//! - [`features`] — sparse TF-IDF features: word n-gram vocabulary, or hashed word/char/sub-word n-grams.
//! - [`net`] — the Candle network (bag of feature embeddings, optional head) and its serving twin.
//! - [`config`] — model types, training config, the saved model config.
//! - `optim` — the sparse, data-parallel AdamW step (lazy updates of the rows a batch touches).
//! - [`train`] — class weighting, early stopping, progress callback.
//! - [`calibration`] — temperature scaling fitted on validation rows, expected calibration error.
//! - [`checkpoint`] — per-epoch checkpoints so a training run can resume.
//! - [`classifier`] — [`Classifier`]: predict one, predict a batch on all cores, evaluate.
//! - [`metrics`] — accuracy, F1 macro/weighted, per-class scores, confusion matrix.
//! - [`artifact`] — save and load the artifact folder, with checksum and shape checks.
//! - [`plots`] — confusion matrix and class distribution PNGs.
//! - [`error`] — [`ModelError`].

pub mod artifact;
pub mod calibration;
pub mod checkpoint;
pub mod classifier;
pub mod config;
pub mod data;
pub mod error;
pub mod features;
pub mod metrics;
pub mod net;
mod optim;
pub mod plots;
pub mod prepare;
pub mod subword;
mod tensors;
pub mod train;

pub use calibration::Calibration;
pub use classifier::{Classifier, Prediction, ProductText, evaluate};
pub use config::{Loss, ModelConfig, ModelType, TrainConfig};
pub use data::{
    LabeledText, SHORT_TITLE_CHARS, read_merged_csv, short_title_view, stratified_split,
    write_merged_csv,
};
pub use error::ModelError;
pub use metrics::{ClassMetrics, Metrics};
pub use prepare::{PREPARATION_VERSION, Prepared, prepare, prepare_text};
pub use train::{
    Progress, TrainReport, TrainedModel, train, train_checkpointed, train_with_holdout,
};
