//! Shared test data: a deterministic subsample of the real sample (../shared/data/rakuten_sample.csv, or
//! `$RAKUTEN_SHARED_DIR/data/rakuten_sample.csv`), or a small synthetic corpus when the sample is absent.

#![allow(dead_code)]

use std::path::PathBuf;

use model::{LabeledText, ModelType, TrainConfig, read_merged_csv, stratified_split};

pub fn sample_path() -> PathBuf {
    let shared = std::env::var_os("RAKUTEN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("data/rakuten_sample.csv")
}

/// (train, validation) of a few hundred rows.
pub fn small_split() -> (Vec<LabeledText>, Vec<LabeledText>) {
    let rows = match read_merged_csv(&sample_path()) {
        Ok(rows) => {
            // Every 10th row: ~670 rows, all classes, same rows on every run.
            rows.into_iter().step_by(10).collect()
        }
        Err(e) => {
            eprintln!("real sample unavailable ({e}); using the synthetic corpus");
            synthetic()
        }
    };
    stratified_split(&rows, 0.25, 1)
}

fn synthetic() -> Vec<LabeledText> {
    let classes: [(i64, &[&str]); 4] = [
        (10, &["livre", "roman", "auteur", "edition", "poche"]),
        (2583, &["piscine", "filtre", "pompe", "bache", "spa"]),
        (1280, &["jouet", "enfant", "peluche", "poupee", "jeu"]),
        (2403, &["magazine", "revue", "numero", "journal", "lot"]),
    ];
    let mut rows = Vec::new();
    for i in 0..200usize {
        let (label, words) = classes[i % 4];
        let designation = format!("{} {} modèle {}", words[i % 5], words[(i / 4) % 5], i % 7);
        let description = format!(
            "<p>Très bon {} &amp; {}</p>",
            words[(i / 2) % 5],
            words[(i / 3) % 5]
        );
        rows.push(LabeledText {
            designation,
            description,
            label,
        });
    }
    rows
}

/// A config small enough for tests: few buckets, small sub-word vocabulary, few epochs.
pub fn quick_config(model_type: ModelType) -> TrainConfig {
    TrainConfig {
        buckets: 1 << 14,
        max_features: 2000,
        subword_vocab_size: 500,
        max_epochs: 3,
        batch_size: 64,
        ..TrainConfig::for_model(model_type)
    }
}
