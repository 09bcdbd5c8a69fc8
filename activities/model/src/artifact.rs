//! The artifact folder: write a trained model, and load one back with every check that catches a corrupt or
//! mismatched file before it can predict nonsense.
//!
//! ```text
//! DIR/model.safetensors        embedding, bias[, head.weight, head.bias], idf        (f32)
//! DIR/tokenizer.json           BPE tokenizer (models with sub-word features)
//! DIR/config.json              ModelConfig: type, dims, labels, feature spec, preparation version, sha256s
//! DIR/metrics.json             TrainReport: validation metrics, per-class scores, confusion, history
//! DIR/confusion_matrix.json    labels and counts
//! DIR/confusion_matrix.png     row-normalised heat map
//! DIR/class_distribution.png   training rows per class
//! ```

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::classifier::Classifier;
use crate::config::{FORMAT_VERSION, ModelConfig};
use crate::error::ModelError;
use crate::features::{FeatureSpec, Featurizer};
use crate::net::Weights;
use crate::plots;
use crate::prepare::PREPARATION_VERSION;
use crate::subword::SubwordTokenizer;
use crate::tensors::{read_tensors, write_atomic, write_tensors};
use crate::train::TrainedModel;

pub const MODEL_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const CONFIG_FILE: &str = "config.json";
pub const METRICS_FILE: &str = "metrics.json";
pub const CONFUSION_JSON_FILE: &str = "confusion_matrix.json";
pub const CONFUSION_PNG_FILE: &str = "confusion_matrix.png";
pub const DISTRIBUTION_PNG_FILE: &str = "class_distribution.png";

const IDF: &str = "idf";

impl TrainedModel {
    /// Writes the artifact folder (created if missing); returns the config as written.
    pub fn save(&self, dir: &Path) -> Result<ModelConfig, ModelError> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        let c = &self.classifier;
        let mut shapes = c.config.dims.tensor_shapes();
        let mut tensors: Vec<&[f32]> = c.weights.tensors.iter().map(Vec::as_slice).collect();
        shapes.push((IDF, vec![c.config.dims.features]));
        tensors.push(c.featurizer.idf());
        let model_path = dir.join(MODEL_FILE);
        let bytes = write_tensors(&model_path, &shapes, &tensors)?;
        write_atomic(&model_path, &bytes)?;

        let mut config = c.config.clone();
        config.model_sha256 = sha256_hex(&bytes);
        config.tokenizer_sha256 = None;
        if let Some(tokenizer) = c.featurizer.tokenizer() {
            let path = dir.join(TOKENIZER_FILE);
            tokenizer.save(&path)?;
            let bytes = std::fs::read(&path).map_err(|e| ModelError::io(&path, e))?;
            config.tokenizer_sha256 = Some(sha256_hex(&bytes));
        }
        write_json(&dir.join(METRICS_FILE), &self.report)?;
        let v = &self.report.validation;
        let confusion = serde_json::json!({ "labels": v.labels, "matrix": v.confusion });
        write_json(&dir.join(CONFUSION_JSON_FILE), &confusion)?;
        plots::confusion_matrix(&dir.join(CONFUSION_PNG_FILE), &v.labels, &v.confusion)?;
        plots::class_distribution(
            &dir.join(DISTRIBUTION_PNG_FILE),
            &self.report.train_class_counts,
        )?;
        // config.json last: its presence means a complete artifact.
        write_json(&dir.join(CONFIG_FILE), &config)?;
        Ok(config)
    }
}

impl Classifier {
    /// Loads an artifact folder, verifying versions, checksums, tensor names, types and shapes.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let config_path = dir.join(CONFIG_FILE);
        let text =
            std::fs::read_to_string(&config_path).map_err(|e| ModelError::io(&config_path, e))?;
        let config: ModelConfig = serde_json::from_str(&text)
            .map_err(|e| ModelError::artifact(&config_path, format!("invalid config: {e}")))?;
        let bad = |m: String| Err(ModelError::artifact(&config_path, m));
        if config.format_version != FORMAT_VERSION {
            return bad(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                config.format_version
            ));
        }
        if config.preparation_version != PREPARATION_VERSION {
            return bad(format!(
                "trained with text preparation v{}, this build prepares text with v{PREPARATION_VERSION}; retrain",
                config.preparation_version
            ));
        }
        if config.labels.len() != config.dims.classes
            || !config.labels.windows(2).all(|w| w[0] < w[1])
        {
            return bad("labels must be sorted, unique and match dims.classes".into());
        }

        let model_path = dir.join(MODEL_FILE);
        let bytes = std::fs::read(&model_path).map_err(|e| ModelError::io(&model_path, e))?;
        verify_sha(&model_path, &bytes, &config.model_sha256)?;
        let mut shapes = config.dims.tensor_shapes();
        shapes.push((IDF, vec![config.dims.features]));
        let mut tensors = read_tensors(&model_path, &bytes, &shapes)?;
        let idf = tensors.pop().unwrap_or_default();

        let uses_subwords = matches!(config.features, FeatureSpec::Hashed { subwords: true, .. });
        let tokenizer = match (&config.tokenizer_sha256, uses_subwords) {
            (Some(expected), true) => {
                let path = dir.join(TOKENIZER_FILE);
                let bytes = std::fs::read(&path).map_err(|e| ModelError::io(&path, e))?;
                verify_sha(&path, &bytes, expected)?;
                Some(SubwordTokenizer::load(&path)?)
            }
            (None, false) => None,
            _ => {
                return bad(
                    "tokenizer_sha256 and the feature spec disagree about sub-word features".into(),
                );
            }
        };
        let featurizer = Featurizer::from_parts(config.features.clone(), idf, tokenizer);
        if featurizer.dim() != config.dims.features {
            return bad(format!(
                "feature spec has {} features but dims.features is {}",
                featurizer.dim(),
                config.dims.features
            ));
        }
        Ok(Classifier {
            weights: Weights {
                dims: config.dims,
                tensors,
            },
            featurizer,
            config,
        })
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn verify_sha(path: &Path, bytes: &[u8], expected: &str) -> Result<(), ModelError> {
    let actual = sha256_hex(bytes);
    if actual != expected {
        return Err(ModelError::ChecksumMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), ModelError> {
    let json =
        serde_json::to_vec_pretty(value).map_err(|e| ModelError::artifact(path, e.to_string()))?;
    write_atomic(path, &json)
}
