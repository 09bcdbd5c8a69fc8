//! Training: prepare text, fit features, run AdamW on a class-weighted cross-entropy with early stopping on the
//! validation split, and keep the best epoch.

use std::collections::BTreeMap;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calibration::{Calibration, calibrate};
use crate::checkpoint::Checkpoint;
pub use crate::checkpoint::EpochRecord;
use crate::classifier::{Classifier, argmax};
use crate::config::{FORMAT_VERSION, ModelConfig, ModelType, TrainConfig};
use crate::data::LabeledText;
use crate::error::ModelError;
use crate::features::{FeatureSpec, Featurizer, SparseVec};
use crate::metrics::Metrics;
use crate::net::{Dims, Weights};
use crate::optim::{AdamW, Trainer};
use crate::prepare::{PREPARATION_VERSION, Prepared, prepare};
use crate::subword::SubwordTokenizer;

/// Where training is; sent after every step (`validation_f1_weighted` is `None`) and after every epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub epoch: usize,
    pub max_epochs: usize,
    pub step: usize,
    pub steps_per_epoch: usize,
    pub loss: f32,
    pub validation_f1_weighted: Option<f64>,
    /// True during the final refit on training + validation rows (no validation score then).
    pub refit: bool,
}

/// What a training run reports besides the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub model_type: ModelType,
    /// Scores of the early-stopped model on the validation rows. With `refit`, the saved model was then
    /// retrained on training + validation rows, so these are the honest held-out figures of its recipe.
    pub validation: Metrics,
    pub refit: bool,
    pub best_epoch: usize,
    pub history: Vec<EpochRecord>,
    pub train_seconds: f64,
    pub train_rows: usize,
    pub validation_rows: usize,
    /// Training rows per class, in label order.
    pub train_class_counts: Vec<(i64, usize)>,
    /// Temperature fitted on the validation rows (with the early-stopped model) and ECE before and after.
    #[serde(default)]
    pub calibration: Option<Calibration>,
}

/// A freshly trained model: the classifier (best epoch) and its report. Save it with `TrainedModel::save`.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    pub classifier: Classifier,
    pub report: TrainReport,
    /// Validation probabilities at the end of training, to check a saved and reloaded model against.
    pub validation_probabilities: Vec<Vec<f32>>,
}

/// Trains on labelled rows, keeping a stratified `validation_fraction` of them (chosen by `cfg.seed`) for early
/// stopping; with `cfg.refit` the final model still learns from every row. What `rakuten model train` calls.
pub fn train_with_holdout(
    rows: &[LabeledText],
    validation_fraction: f64,
    cfg: &TrainConfig,
    progress: impl FnMut(&Progress),
) -> Result<TrainedModel, ModelError> {
    if !(0.0..1.0).contains(&validation_fraction) || validation_fraction == 0.0 {
        return Err(ModelError::InvalidInput(format!(
            "validation fraction {validation_fraction} is not in (0, 1)"
        )));
    }
    let (train_rows, validation_rows) =
        crate::data::stratified_split(rows, validation_fraction, cfg.seed);
    train(&train_rows, &validation_rows, cfg, progress)
}

/// Trains a model. Deterministic: the same rows and config give the same weights.
pub fn train(
    train_rows: &[LabeledText],
    validation_rows: &[LabeledText],
    cfg: &TrainConfig,
    progress: impl FnMut(&Progress),
) -> Result<TrainedModel, ModelError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    train_checkpointed(
        train_rows,
        validation_rows,
        cfg,
        progress,
        |_, _| {},
        &never,
    )
}

/// [`train`], calling `checkpointed(dir, next_epoch)` after each epoch's checkpoint is committed to
/// `cfg.checkpoint_dir` (a caller copies it somewhere safer: the pipeline mirrors it to the artifact store),
/// and stopping with [`ModelError::Cancelled`] between two batches once `cancel` is set (from another thread).
pub fn train_checkpointed(
    train_rows: &[LabeledText],
    validation_rows: &[LabeledText],
    cfg: &TrainConfig,
    mut progress: impl FnMut(&Progress),
    mut checkpointed: impl FnMut(&std::path::Path, usize),
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<TrainedModel, ModelError> {
    let started = Instant::now();
    cfg.validate()?;
    if train_rows.is_empty() || validation_rows.is_empty() {
        return Err(ModelError::InvalidInput(
            "training and validation rows must both be non-empty".into(),
        ));
    }
    let counts: BTreeMap<i64, usize> = train_rows.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.label).or_default() += 1;
        m
    });
    let labels: Vec<i64> = counts.keys().copied().collect();
    if labels.len() < 2 {
        return Err(ModelError::InvalidInput(
            "training rows need at least two classes".into(),
        ));
    }
    let index_of = |label: i64| {
        labels
            .binary_search(&label)
            .map_err(|_| ModelError::UnknownLabel {
                label,
                known: labels.len(),
            })
    };
    let train_y: Vec<usize> = train_rows
        .iter()
        .map(|r| index_of(r.label))
        .collect::<Result<_, _>>()?;
    let val_y: Vec<usize> = validation_rows
        .iter()
        .map(|r| index_of(r.label))
        .collect::<Result<_, _>>()?;

    let prepare_all = |rows: &[LabeledText]| -> Vec<Prepared> {
        rows.par_iter()
            .map(|r| prepare(&r.designation, &r.description))
            .collect()
    };
    let train_text = prepare_all(train_rows);
    let (featurizer, train_x) = fit_featurizer(&train_text, cfg)?;
    let transform = |texts: &[Prepared]| -> Result<Vec<SparseVec>, ModelError> {
        texts.par_iter().map(|t| featurizer.transform(t)).collect()
    };
    let train_x = match train_x {
        Some(x) => x,
        None => transform(&train_text)?,
    };
    let val_x = transform(&prepare_all(validation_rows))?;
    // Short views (designation alone, cut at a random length), drawn once per row from the seed.
    let short_views = |rows: &[LabeledText], salt: u64| -> Result<Vec<SparseVec>, ModelError> {
        if cfg.augment_short <= 0.0 {
            return Ok(Vec::new());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ salt);
        let texts: Vec<Prepared> = rows
            .iter()
            .map(|r| r.short_title(rng.random_range(20..=crate::data::SHORT_TITLE_CHARS)))
            .collect::<Vec<_>>()
            .par_iter()
            .map(|r| prepare(&r.designation, ""))
            .collect();
        transform(&texts)
    };
    let train_short = short_views(train_rows, 0x5407_7017)?;
    let val_short = short_views(validation_rows, 0x5407_7018)?;

    let dims = Dims {
        features: featurizer.dim(),
        hidden: cfg.hidden,
        classes: labels.len(),
    };
    let class_weight: Vec<f32> = labels
        .iter()
        .map(|l| {
            if cfg.class_weighting {
                train_rows.len() as f32 / (labels.len() * counts[l]) as f32
            } else {
                1.0
            }
        })
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut state = match cfg
        .checkpoint_dir
        .as_deref()
        .map(|d| Checkpoint::load(d, cfg, dims))
    {
        Some(Ok(Some(checkpoint))) => checkpoint,
        Some(Err(e)) => return Err(e),
        _ => Checkpoint::fresh(Weights::initial(dims, &mut rng)),
    };
    let adam = AdamW::new(cfg.learning_rate, cfg.weight_decay);
    let mut trainer = Trainer::new(&state.weights, adam, cfg.average_weights);
    let batch_size = cfg.batch_size_for(train_rows.len());
    let train_set = TrainSet {
        x: train_x.iter().collect(),
        short: train_short.iter().collect(),
        y: &train_y,
        class_weight: &class_weight,
        batch_size,
        cfg,
    };
    let steps_per_epoch = train_x.len().div_ceil(batch_size);

    while state.next_epoch < cfg.max_epochs && state.epochs_since_best < cfg.patience {
        let epoch = state.next_epoch;
        let (train_loss, averaged) = run_epoch(
            &mut trainer,
            &train_set,
            epoch,
            false,
            &mut progress,
            cancel,
        )?;
        // The current weights only for the checkpoint (a copy of the whole table per epoch otherwise).
        let weights = cfg.checkpoint_dir.is_some().then(|| trainer.weights());
        let scored = match (averaged, &weights) {
            (Some(averaged), _) => averaged,
            (None, Some(weights)) => weights.clone(),
            (None, None) => trainer.weights(),
        };
        let predicted: Vec<usize> = val_x
            .par_iter()
            .map(|x| argmax(&scored.logits(x)))
            .collect();
        let f1 = Metrics::from_indices(&labels, &val_y, &predicted)?.f1_weighted;
        progress(&Progress {
            epoch,
            max_epochs: cfg.max_epochs,
            step: steps_per_epoch,
            steps_per_epoch,
            loss: train_loss,
            validation_f1_weighted: Some(f1),
            refit: false,
        });
        let unused = state.record(epoch, train_loss, f1, cfg.min_delta, weights, scored);
        trainer.recycle(unused);
        if let Some(dir) = &cfg.checkpoint_dir {
            state.save(dir, cfg, dims)?;
            checkpointed(dir, state.next_epoch);
        }
    }
    let best = Metrics::from_indices(
        &labels,
        &val_y,
        &val_x
            .par_iter()
            .map(|x| argmax(&state.best_weights.logits(x)))
            .collect::<Vec<_>>(),
    )?;

    let best_logits: Vec<Vec<f32>> = val_x
        .par_iter()
        .map(|x| state.best_weights.logits(x))
        .collect();
    let calibration = calibrate(&best_logits, &val_y);

    let refit = cfg.refit && !cfg.is_large(train_rows.len());
    let final_weights = if refit {
        // Same recipe, from the same initial weights, on training + validation rows for the epochs early stopping
        // chose: the validation rows are too valuable to leave out of the final model.
        let all_y: Vec<usize> = train_y.iter().chain(&val_y).copied().collect();
        let all = TrainSet {
            x: train_x.iter().chain(&val_x).collect(),
            short: train_short.iter().chain(&val_short).collect(),
            y: &all_y,
            class_weight: &class_weight,
            batch_size,
            cfg,
        };
        let initial = Weights::initial(dims, &mut ChaCha8Rng::seed_from_u64(cfg.seed));
        trainer.reset(&initial, adam);
        let mut averaged = None;
        for epoch in 0..=state.best_epoch {
            if let Some(previous) = averaged.take() {
                trainer.recycle(previous);
            }
            averaged = run_epoch(&mut trainer, &all, epoch, true, &mut progress, cancel)?.1;
        }
        averaged.unwrap_or_else(|| trainer.weights())
    } else {
        state.best_weights.clone()
    };

    let model_config = ModelConfig {
        format_version: FORMAT_VERSION,
        model_type: cfg.model_type,
        preparation_version: PREPARATION_VERSION,
        labels: labels.clone(),
        dims,
        features: featurizer.spec().clone(),
        model_sha256: String::new(),
        tokenizer_sha256: None,
        train_config: cfg.clone(),
        temperature: calibration.temperature,
        top_scaling: calibration.top,
    };
    let classifier = Classifier {
        config: model_config,
        featurizer,
        weights: final_weights,
    };
    let validation_probabilities: Vec<Vec<f32>> = val_x
        .par_iter()
        .map(|x| classifier.probabilities_of(x))
        .collect();
    let report = TrainReport {
        model_type: cfg.model_type,
        validation: best,
        refit,
        best_epoch: state.best_epoch,
        history: state.history.clone(),
        train_seconds: started.elapsed().as_secs_f64(),
        train_rows: train_rows.len(),
        validation_rows: validation_rows.len(),
        train_class_counts: counts.into_iter().collect(),
        calibration: Some(calibration),
    };
    Ok(TrainedModel {
        classifier,
        report,
        validation_probabilities,
    })
}

struct TrainSet<'a> {
    x: Vec<&'a SparseVec>,
    /// Each row's short view, or empty (no augmentation).
    short: Vec<&'a SparseVec>,
    y: &'a [usize],
    class_weight: &'a [f32],
    /// The batch size for the training rows ([`TrainConfig::batch_size_for`]), refit included.
    batch_size: usize,
    cfg: &'a TrainConfig,
}

/// One pass over the rows in an order fixed by the seed and the epoch (not carried along, so a resumed run
/// shuffles exactly as an unbroken one); returns the mean loss and, with `average_weights`, the mean of the weights
/// after every step.
fn run_epoch(
    trainer: &mut Trainer,
    set: &TrainSet<'_>,
    epoch: usize,
    refit: bool,
    progress: &mut impl FnMut(&Progress),
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<(f32, Option<Weights>), ModelError> {
    let cfg = set.cfg;
    trainer.set_learning_rate((cfg.learning_rate / (1.0 + cfg.lr_decay * epoch as f64)) as f32);
    let mut order: Vec<usize> = (0..set.x.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(
        cfg.seed.wrapping_add(1 + epoch as u64),
    ));
    let steps_per_epoch = set.x.len().div_ceil(set.batch_size);
    // Which rows show their short view this epoch (from the seed and the epoch, like the order).
    let short: Vec<bool> = if set.short.is_empty() {
        Vec::new()
    } else {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(0x5407_0000 + epoch as u64));
        (0..set.x.len())
            .map(|_| rng.random_bool(cfg.augment_short))
            .collect()
    };
    let view = |i: usize| {
        if short.get(i).copied().unwrap_or(false) {
            set.short[i]
        } else {
            set.x[i]
        }
    };
    let mut loss_sum = 0.0;
    let (mut rows, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for (step, chunk) in order.chunks(set.batch_size).enumerate() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(ModelError::Cancelled);
        }
        rows.clear();
        targets.clear();
        weights.clear();
        rows.extend(chunk.iter().map(|&i| view(i)));
        targets.extend(chunk.iter().map(|&i| set.y[i] as u32));
        weights.extend(chunk.iter().map(|&i| set.class_weight[set.y[i]]));
        let loss = trainer.step(cfg.loss, &rows, &targets, &weights);
        loss_sum += loss;
        progress(&Progress {
            epoch,
            max_epochs: cfg.max_epochs,
            step,
            steps_per_epoch,
            loss,
            validation_f1_weighted: None,
            refit,
        });
    }
    let averaged = trainer.finish_epoch();
    Ok((loss_sum / steps_per_epoch as f32, averaged))
}

/// The fitted featurizer and, when fitting computed them anyway, the training texts' features.
fn fit_featurizer(
    train_text: &[Prepared],
    cfg: &TrainConfig,
) -> Result<(Featurizer, Option<Vec<SparseVec>>), ModelError> {
    match cfg.model_type {
        ModelType::TfidfLogreg => Ok((
            Featurizer::fit_vocabulary(train_text, cfg.word_ngram_max, cfg.max_features),
            None,
        )),
        ModelType::NgramLogreg => {
            let tokenizer = || -> Result<Option<SubwordTokenizer>, ModelError> {
                if !cfg.subwords {
                    return Ok(None);
                }
                // Trained on what it will tokenize: the first `subword_max_chars` of each text (the whole texts took
                // three quarters of the sample's setup for the same features).
                let texts: Vec<&str> = train_text
                    .iter()
                    .map(|p| crate::features::truncate_chars(&p.text, cfg.subword_max_chars))
                    .collect();
                Ok(Some(SubwordTokenizer::train(
                    &texts,
                    cfg.subword_vocab_size,
                )?))
            };
            let spec = FeatureSpec::Hashed {
                title_words: cfg.title_words,
                buckets: cfg.buckets,
                word_ngram_max: cfg.word_ngram_max,
                char_ngram_min: cfg.char_ngram_min,
                char_ngram_max: cfg.char_ngram_max,
                subwords: cfg.subwords,
                max_chars: cfg.max_chars,
                subword_max_chars: cfg.subword_max_chars,
                sublinear_tf: cfg.sublinear_tf,
            };
            let (featurizer, x) =
                Featurizer::fit_transform_hashed_with(train_text, spec, tokenizer)?;
            Ok((featurizer, Some(x)))
        }
    }
}
