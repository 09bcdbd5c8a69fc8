//! Train → save → load → predict, artifact checks, determinism and resumption.

mod common;

use common::{quick_config, small_split};
use model::artifact::{CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE};
use model::{Classifier, ModelError, ModelType, ProductText, TrainConfig, train};

/// Training with `cfg` is refused with a message naming `field`.
fn assert_refused(cfg: &TrainConfig, field: &str) {
    let (train_rows, validation) = small_split();
    let err = train(&train_rows, &validation, cfg, |_| {}).unwrap_err();
    assert!(err.to_string().contains(field), "{err}");
}

fn fit(cfg: &TrainConfig) -> model::TrainedModel {
    let (train_rows, validation) = small_split();
    train(&train_rows, &validation, cfg, |_| {}).expect("training succeeds")
}

#[test]
fn saved_and_loaded_model_gives_the_training_probabilities() {
    let (_, validation) = small_split();
    for model_type in ModelType::ALL {
        let trained = fit(&quick_config(model_type));
        let dir = tempfile::tempdir().unwrap();
        let config = trained.save(dir.path()).unwrap();
        for file in [
            "metrics.json",
            "confusion_matrix.png",
            "class_distribution.png",
            "confusion_matrix.json",
        ] {
            assert!(dir.path().join(file).exists(), "{file} missing");
        }
        assert_eq!(
            dir.path().join(TOKENIZER_FILE).exists(),
            config.tokenizer_sha256.is_some()
        );
        let loaded = Classifier::load(dir.path()).unwrap();
        assert_eq!(loaded.config(), &config);
        let items: Vec<ProductText<'_>> = validation.iter().map(ProductText::from).collect();
        let probabilities = loaded.probabilities_batch(&items).unwrap();
        assert_eq!(
            probabilities, trained.validation_probabilities,
            "{model_type}"
        );
        let metrics = loaded.evaluate(&validation).unwrap();
        assert_eq!(metrics, trained.classifier.evaluate(&validation).unwrap());

        let one = loaded
            .predict(&validation[0].designation, &validation[0].description, 3)
            .unwrap();
        assert_eq!(one.top_k.len(), 3);
        assert_eq!(one.top_k[0], (one.predicted_class, one.confidence));
        assert!(one.top_k.windows(2).all(|w| w[0].1 >= w[1].1));
        let total: f32 = probabilities[0].iter().sum();
        assert!((total - 1.0).abs() < 1e-4);
        let batch = loaded.predict_batch(&items[..5], 3).unwrap();
        assert_eq!(batch[0], one);
    }
}

#[test]
fn classifier_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Classifier>();
}

#[test]
fn corrupt_or_mismatched_artifacts_are_refused() {
    let trained = fit(&TrainConfig {
        max_epochs: 1,
        ..quick_config(ModelType::DEFAULT)
    });
    let dir = tempfile::tempdir().unwrap();
    trained.save(dir.path()).unwrap();
    let copy = |name: &str| {
        let to = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.path().join(entry.file_name())).unwrap();
        }
        let path = to.path().join(name);
        (to, path)
    };

    let (flipped, path) = copy(MODEL_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    let err = Classifier::load(flipped.path()).unwrap_err();
    assert!(matches!(err, ModelError::ChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors"), "{err}");

    let (tokenizer, path) = copy(TOKENIZER_FILE);
    std::fs::write(&path, "{}").unwrap();
    assert!(matches!(
        Classifier::load(tokenizer.path()),
        Err(ModelError::ChecksumMismatch { .. })
    ));

    let (shapes, path) = copy(CONFIG_FILE);
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config["dims"]["classes"] = serde_json::json!(3);
    config["labels"] = serde_json::json!([1, 2, 3]);
    std::fs::write(&path, config.to_string()).unwrap();
    let err = Classifier::load(shapes.path()).unwrap_err().to_string();
    assert!(
        err.contains("embedding") && err.contains("expects"),
        "{err}"
    );

    let (garbage, path) = copy(CONFIG_FILE);
    std::fs::write(&path, "not json").unwrap();
    assert!(matches!(
        Classifier::load(garbage.path()),
        Err(ModelError::Artifact { .. })
    ));

    let (missing, path) = copy(MODEL_FILE);
    std::fs::remove_file(path).unwrap();
    let err = Classifier::load(missing.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors"), "{err}");
}

#[test]
fn training_is_deterministic() {
    for model_type in ModelType::ALL {
        let cfg = TrainConfig {
            max_epochs: 2,
            ..quick_config(model_type)
        };
        let (a, b) = (fit(&cfg), fit(&cfg));
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (ca, cb) = (a.save(da.path()).unwrap(), b.save(db.path()).unwrap());
        assert_eq!(
            ca.model_sha256, cb.model_sha256,
            "{model_type}: weights differ"
        );
        assert_eq!(
            ca.tokenizer_sha256, cb.tokenizer_sha256,
            "{model_type}: tokenizers differ"
        );
        assert_eq!(a.validation_probabilities, b.validation_probabilities);
    }
}

#[test]
fn unknown_labels_and_bad_config_are_errors() {
    let (train_rows, mut validation) = small_split();
    validation[0].label = 999_999;
    let cfg = quick_config(ModelType::TfidfLogreg);
    let err = train(&train_rows, &validation, &cfg, |_| {}).unwrap_err();
    assert!(
        matches!(err, ModelError::UnknownLabel { label: 999_999, .. }),
        "{err}"
    );

    let trained = fit(&TrainConfig {
        max_epochs: 1,
        ..cfg.clone()
    });
    let err = trained.classifier.evaluate(&validation).unwrap_err();
    assert!(err.to_string().contains("999999"), "{err}");
    assert!(trained.classifier.evaluate(&[]).is_err());
    assert!(train(&[], &validation, &cfg, |_| {}).is_err());
    let bad = TrainConfig {
        batch_size: 0,
        ..cfg
    };
    assert!(matches!(
        train(&train_rows, &train_rows, &bad, |_| {}),
        Err(ModelError::InvalidInput(_))
    ));
    assert!("cnn".parse::<ModelType>().is_err());
}

#[test]
fn training_resumes_from_a_checkpoint() {
    let checkpoint = tempfile::tempdir().unwrap();
    let cfg = TrainConfig {
        checkpoint_dir: Some(checkpoint.path().to_path_buf()),
        patience: 10,
        ..quick_config(ModelType::TfidfLogreg)
    };
    let first = fit(&TrainConfig {
        max_epochs: 1,
        ..cfg.clone()
    });
    assert_eq!(first.report.history.len(), 1);
    let mut epochs_seen = Vec::new();
    let (train_rows, validation) = small_split();
    let resumed = train(
        &train_rows,
        &validation,
        &TrainConfig {
            max_epochs: 3,
            ..cfg.clone()
        },
        |p| {
            if p.validation_f1_weighted.is_some() {
                epochs_seen.push(p.epoch);
            }
        },
    )
    .unwrap();
    assert_eq!(epochs_seen, [1, 2], "only the missing epochs run");
    assert_eq!(resumed.report.history.len(), 3);
    assert_eq!(resumed.report.history[0], first.report.history[0]);

    let other = TrainConfig { seed: 1, ..cfg };
    assert!(
        train(&train_rows, &validation, &other, |_| {}).is_err(),
        "a foreign checkpoint is refused"
    );
}

#[test]
fn subword_word_path_matches_the_whole_tokenizer_on_the_sample() {
    // The serving fast path (ids word by word, cached) must give exactly the tokenizer's ids on real text.
    let (train_rows, validation) = small_split();
    let prepared: Vec<String> = train_rows
        .iter()
        .chain(&validation)
        .map(|r| model::prepare_text(&r.designation, &r.description))
        .collect();
    let corpus: Vec<&str> = prepared.iter().map(String::as_str).collect();
    let tokenizer = model::subword::SubwordTokenizer::train(&corpus, 8000).unwrap();
    // Twice: first filling the word cache, then from it.
    for _ in 0..2 {
        for text in &corpus {
            assert_eq!(
                tokenizer.ids(text).unwrap(),
                tokenizer.ids_whole(text).unwrap(),
                "{text:?}"
            );
        }
    }
}

#[test]
fn calibration_is_fitted_on_validation_saved_and_applied() {
    let trained = fit(&quick_config(ModelType::NgramLogreg));
    let calibration = trained
        .report
        .calibration
        .clone()
        .expect("training reports its calibration");
    let t = trained.classifier.config().temperature;
    assert_eq!(t, calibration.temperature);
    assert!(t > 0.05 && t < 20.0 && t != 1.0, "{calibration:?}");
    // Calibration never changes the winner, only the confidence: on every validation row.
    let (_, validation) = small_split();
    let raw = trained.classifier.clone().uncalibrated();
    for row in &validation {
        let (a, b) = (
            trained
                .classifier
                .predict(&row.designation, &row.description, 1)
                .unwrap(),
            raw.predict(&row.designation, &row.description, 1).unwrap(),
        );
        assert_eq!(a.predicted_class, b.predicted_class);
    }
    let (a, b) = (
        trained
            .classifier
            .predict(&validation[0].designation, &validation[0].description, 1)
            .unwrap(),
        raw.predict(&validation[0].designation, &validation[0].description, 1)
            .unwrap(),
    );
    assert_eq!(a.predicted_class, b.predicted_class);
    assert_ne!(a.confidence, b.confidence);

    // A model saved before calibration existed (no temperature, no top scaling in config.json) loads
    // uncalibrated.
    let dir = tempfile::tempdir().unwrap();
    trained.save(dir.path()).unwrap();
    let path = dir.path().join(CONFIG_FILE);
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config
        .as_object_mut()
        .unwrap()
        .remove("temperature")
        .unwrap();
    config.as_object_mut().unwrap().remove("top_scaling");
    std::fs::write(&path, serde_json::to_string(&config).unwrap()).unwrap();
    let old = Classifier::load(dir.path()).unwrap();
    assert_eq!(old.config().temperature, 1.0);
    assert_eq!(old.config().top_scaling, None);
    let c = old
        .predict(&validation[0].designation, &validation[0].description, 1)
        .unwrap();
    assert_eq!(c, b);
}

#[test]
fn short_title_augmentation_is_deterministic_and_changes_the_model() {
    let cfg = TrainConfig {
        max_epochs: 2,
        augment_short: 0.5,
        ..quick_config(ModelType::NgramLogreg)
    };
    let (a, b) = (fit(&cfg), fit(&cfg));
    assert_eq!(a.validation_probabilities, b.validation_probabilities);
    let plain = fit(&TrainConfig {
        augment_short: 0.0,
        ..cfg.clone()
    });
    assert_ne!(a.validation_probabilities, plain.validation_probabilities);
    assert_refused(
        &TrainConfig {
            augment_short: 1.5,
            ..cfg
        },
        "augment_short",
    );
}

#[test]
fn large_data_is_not_refit_and_takes_its_own_batch_size() {
    let (train_rows, validation) = small_split();
    let run = |large_from: Option<usize>| {
        let cfg = TrainConfig {
            max_epochs: 2,
            refit: true,
            batch_size: 64,
            large_data_rows: large_from,
            large_batch_size: Some(32),
            ..quick_config(ModelType::TfidfLogreg)
        };
        let (mut refit_steps, mut steps_per_epoch) = (0, 0);
        let trained = train(&train_rows, &validation, &cfg, |p| {
            refit_steps += usize::from(p.refit);
            steps_per_epoch = p.steps_per_epoch;
        })
        .unwrap();
        (trained.report.refit, refit_steps, steps_per_epoch)
    };
    let (refit, steps, per_epoch) = run(Some(train_rows.len()));
    assert!(
        !refit && steps == 0,
        "as many rows as the limit: large, no refit"
    );
    assert_eq!(
        per_epoch,
        train_rows.len().div_ceil(32),
        "large data: the large batch size"
    );
    let (refit, steps, _) = run(Some(train_rows.len() + 1));
    assert!(refit && steps > 0, "fewer rows than the limit: refit");
    let (refit, steps, per_epoch) = run(None);
    assert!(refit && steps > 0, "no limit (old configs): refit");
    assert_eq!(
        per_epoch,
        (train_rows.len() + validation.len()).div_ceil(64),
        "small data: the batch size, over training + validation rows in the refit"
    );
}

#[test]
fn an_epoch_must_beat_the_best_by_min_delta() {
    let cfg = TrainConfig {
        max_epochs: 4,
        patience: 10,
        refit: false,
        ..quick_config(ModelType::TfidfLogreg)
    };
    let free = fit(&cfg);
    assert_eq!(free.report.history.len(), 4);
    // Nothing beats the first epoch by a whole point of F1: it stays the best, and patience runs out from it.
    let strict = fit(&TrainConfig {
        min_delta: 0.99,
        patience: 2,
        ..cfg.clone()
    });
    assert_eq!(strict.report.best_epoch, 0);
    assert_eq!(strict.report.history.len(), 3);
    assert_eq!(strict.report.history[..3], free.report.history[..3]);
    assert_refused(
        &TrainConfig {
            min_delta: -0.1,
            ..cfg
        },
        "min_delta",
    );
}

#[test]
fn the_learning_rate_decays_by_epoch_deterministically() {
    let cfg = TrainConfig {
        max_epochs: 3,
        patience: 10,
        lr_decay: 2.0,
        ..quick_config(ModelType::NgramLogreg)
    };
    let (a, b) = (fit(&cfg), fit(&cfg));
    assert_eq!(a.validation_probabilities, b.validation_probabilities);
    let constant = fit(&TrainConfig {
        lr_decay: 0.0,
        ..cfg.clone()
    });
    // The first epoch runs at the same rate either way; the later ones do not.
    assert_eq!(a.report.history[0], constant.report.history[0]);
    assert_ne!(a.report.history[2], constant.report.history[2]);
    assert_refused(
        &TrainConfig {
            lr_decay: -1.0,
            ..cfg
        },
        "lr_decay",
    );
}
