//! Training choices ([`TrainConfig`], [`ModelType`]) and the saved description of a model ([`ModelConfig`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::features::FeatureSpec;
use crate::net::Dims;
pub use crate::net::Loss;

/// Version of the artifact layout; loading refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// The model families this crate trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelType {
    /// TF-IDF over word uni+bigrams (5,000 features) + multinomial logistic regression: the original baseline.
    TfidfLogreg,
    /// Hashed TF-IDF over word uni+bigrams, character 2–5-grams and BPE pieces + logistic regression.
    NgramLogreg,
}

impl ModelType {
    pub const ALL: [ModelType; 2] = [ModelType::TfidfLogreg, ModelType::NgramLogreg];
    /// The default, chosen by the benchmark in bench/model_bench.sh.
    pub const DEFAULT: ModelType = ModelType::NgramLogreg;

    pub fn as_str(&self) -> &'static str {
        match self {
            ModelType::TfidfLogreg => "tfidf_logreg",
            ModelType::NgramLogreg => "ngram_logreg",
        }
    }
}

impl fmt::Display for ModelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelType {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(ModelType::as_str).collect();
                ModelError::InvalidInput(format!(
                    "unknown model type `{s}` (known: {})",
                    known.join(", ")
                ))
            })
    }
}

/// Everything that decides a training run. Same config, same rows → same weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub model_type: ModelType,
    /// Vocabulary size of `tfidf_logreg`.
    pub max_features: usize,
    /// Hash buckets of `ngram_logreg`.
    pub buckets: u32,
    /// Width of a low-rank hidden layer (fastText style); 0 = plain logistic regression.
    pub hidden: usize,
    pub word_ngram_max: usize,
    pub char_ngram_min: usize,
    pub char_ngram_max: usize,
    /// Adds the designation's word uni+bigrams as a feature family of their own (`ngram_logreg`).
    #[serde(default)]
    pub title_words: bool,
    /// Adds BPE pieces of a tokenizer trained on the training corpus as a feature family.
    pub subwords: bool,
    pub subword_vocab_size: usize,
    /// Characters of prepared text given to the sub-word tokenizer (the costliest feature family).
    pub subword_max_chars: usize,
    /// `1 + ln(tf)` instead of raw counts in the hashed TF-IDF.
    #[serde(default)]
    pub sublinear_tf: bool,
    /// Characters of prepared text used for features (bounds the cost of one prediction).
    pub max_chars: usize,
    pub max_epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    /// Epoch `e` runs at `learning_rate / (1 + lr_decay · e)` (0 for old configs: constant).
    #[serde(default)]
    pub lr_decay: f64,
    pub weight_decay: f64,
    /// Old configs without it trained with cross-entropy.
    #[serde(default)]
    pub loss: Loss,
    /// Scores and keeps the mean of the weights after every step of an epoch rather than the last ones.
    #[serde(default)]
    pub average_weights: bool,
    /// Epochs without a better validation weighted F1 before stopping.
    pub patience: usize,
    /// How much an epoch's validation weighted F1 must beat the best so far by to count as better (0 for old
    /// configs). On large data the curve is flat within noise after the first epochs; a tie is not progress.
    #[serde(default)]
    pub min_delta: f64,
    /// After early stopping, retrains from scratch on training + validation rows for the chosen number of
    /// epochs; the saved model is that one.
    #[serde(default)]
    pub refit: bool,
    /// From this many training rows on, the data counts as large (never for old configs): no refit (a tenth more
    /// rows helps a few thousand, +0.6 points on the sample, and changes nothing for 60,000, at twice the time)
    /// and batches of `large_batch_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_data_rows: Option<usize>,
    /// Batch size on large data (`batch_size` if unset): small data learns best from more, smaller steps per
    /// epoch, large data as well from fewer, larger ones at half the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_batch_size: Option<usize>,
    /// Probability that a training row is shown, for one epoch, as its short view (the designation alone, cut at
    /// a random length of 20–100 characters): the shape of much live traffic. 0 for old configs.
    #[serde(default)]
    pub augment_short: f64,
    /// Weights each class by `n / (classes × count)` in the loss ("balanced").
    pub class_weighting: bool,
    pub seed: u64,
    /// If set, every epoch is checkpointed there and a new run with the same config resumes from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_dir: Option<PathBuf>,
}

impl TrainConfig {
    pub fn for_model(model_type: ModelType) -> Self {
        let base = Self {
            model_type,
            max_features: 5000,
            buckets: 1 << 17,
            hidden: 0,
            word_ngram_max: 2,
            char_ngram_min: 2,
            char_ngram_max: 5,
            title_words: true,
            subwords: true,
            subword_vocab_size: 8000,
            subword_max_chars: 100,
            sublinear_tf: true,
            max_chars: 1000,
            max_epochs: 30,
            batch_size: 256,
            learning_rate: 0.02,
            lr_decay: 0.0,
            weight_decay: 1.0,
            loss: Loss::CrossEntropy,
            average_weights: false,
            patience: 3,
            min_delta: 0.0,
            refit: true,
            large_data_rows: None,
            large_batch_size: None,
            augment_short: 0.0,
            class_weighting: true,
            seed: 42,
            checkpoint_dir: None,
        };
        match model_type {
            ModelType::TfidfLogreg => Self {
                subwords: false,
                title_words: false,
                ..base
            },
            // The epoch's mean weights; batches of 256 at step 0.1, divided by 1 + 2·epoch (the per-epoch averages
            // swung by ±1.5 points of validation F1 at a constant step, and early stopping chased the swings); one
            // row in seven shown as a short title per epoch; an epoch counts as better only by 0.002; a refit on
            // training + validation rows below 20,000 training rows, batches of 512 from there on.
            // bench/model_bench.sh, 5 split seeds; every figure in CHANGELOG.
            ModelType::NgramLogreg => Self {
                batch_size: 256,
                average_weights: true,
                learning_rate: 0.1,
                lr_decay: 2.0,
                augment_short: 0.15,
                min_delta: 0.002,
                large_data_rows: Some(20_000),
                large_batch_size: Some(512),
                ..base
            },
        }
    }

    /// Whether `rows` training rows count as large data (see `large_data_rows`).
    pub fn is_large(&self, rows: usize) -> bool {
        self.large_data_rows.is_some_and(|min| rows >= min)
    }

    /// The batch size for `rows` training rows.
    pub fn batch_size_for(&self, rows: usize) -> usize {
        match self.large_batch_size {
            Some(large) if self.is_large(rows) => large,
            _ => self.batch_size,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: &str| Err(ModelError::InvalidInput(m.to_string()));
        if self.batch_size == 0 || self.max_epochs == 0 || self.large_batch_size == Some(0) {
            return bad("batch_size, large_batch_size and max_epochs must be positive");
        }
        if self.max_features == 0 || self.buckets == 0 || self.word_ngram_max == 0 {
            return bad("max_features, buckets and word_ngram_max must be positive");
        }
        if self.char_ngram_min == 0 || self.char_ngram_min > self.char_ngram_max {
            return bad("need 0 < char_ngram_min <= char_ngram_max");
        }
        if !(0.0..1.0).contains(&self.min_delta) {
            return bad("min_delta must be in [0, 1)");
        }
        if !(0.0..=1.0).contains(&self.augment_short) {
            return bad("augment_short must be a probability in [0, 1]");
        }
        if !(self.lr_decay >= 0.0 && self.lr_decay.is_finite()) {
            return bad("lr_decay must be a non-negative number");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate must be a positive number");
        }
        Ok(())
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::for_model(ModelType::DEFAULT)
    }
}

/// config.json: what is needed to rebuild and check a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub format_version: u32,
    pub model_type: ModelType,
    pub preparation_version: u32,
    /// `prdtypecode` of each output, in output order.
    pub labels: Vec<i64>,
    pub dims: Dims,
    pub features: FeatureSpec,
    /// sha256 (hex) of model.safetensors.
    pub model_sha256: String,
    /// sha256 (hex) of tokenizer.json, when the model uses sub-word features.
    pub tokenizer_sha256: Option<String>,
    pub train_config: TrainConfig,
    /// Temperature the logits are divided by before the softmax (calibration); 1 for models saved before it.
    #[serde(default = "unit_temperature")]
    pub temperature: f32,
    /// The top class's scaling after the temperature; absent in models saved before it (and then not applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_scaling: Option<crate::calibration::TopScaling>,
}

fn unit_temperature() -> f32 {
    1.0
}
