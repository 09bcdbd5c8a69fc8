//! Benchmark of every model type on a fixed stratified split, plus latency and throughput of the default model.
//!
//! ```text
//! cargo run --release -p model --example bench -- --data SAMPLE.csv --split-dir DIR [--write-split-only]
//!     [--set key=value ...]   (TrainConfig fields, applied to every model type)
//!     [--only MODEL_TYPE] [--save DIR]   (one model type; save each artifact under DIR/<model type>)
//!     [--split-seed N]   (seed of the 80/20 split when it is written; 42 unless told)
//!     [--json-out FILE]  (appends one JSON object per model and view: the figures bench/model_bench.sh averages)
//!     [--no-latency]     (skips the latency and throughput runs)
//!     [--probs-out FILE] (writes the test rows' probabilities per view as JSON: bench/model_ceiling.py blends them)
//! ```
//! Every model is scored on two views of the test rows: the full text, and short titles (the designation alone,
//! cut at 100 characters, no description).
//! DIR/train.csv and DIR/test.csv are written once (80/20, seed 42) and reused, so other tools score the same rows.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use model::{
    Classifier, ModelType, ProductText, TrainConfig, read_merged_csv, stratified_split,
    write_merged_csv,
};

// Candle allocates and frees tensors of the embedding's size every step; glibc returns such blocks to the kernel
// at once and pays page faults to get them back, which doubles training time. Binaries that train should do this.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut data = None;
    let mut split_dir = None;
    let mut split_only = false;
    let mut only: Option<ModelType> = None;
    let mut save: Option<PathBuf> = None;
    let mut split_seed = 42u64;
    let mut json_out: Option<PathBuf> = None;
    let mut probs_out: Option<PathBuf> = None;
    let mut latency = true;
    let mut overrides = serde_json::Map::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().map(PathBuf::from),
            "--split-dir" => split_dir = args.next().map(PathBuf::from),
            "--write-split-only" => split_only = true,
            "--split-seed" => split_seed = args.next().context("--split-seed N")?.parse()?,
            "--json-out" => json_out = args.next().map(PathBuf::from),
            "--probs-out" => probs_out = args.next().map(PathBuf::from),
            "--no-latency" => latency = false,
            "--save" => save = args.next().map(PathBuf::from),
            "--only" => only = Some(args.next().context("--only TYPE")?.parse()?),
            "--set" => {
                let kv = args.next().context("--set key=value")?;
                let (k, v) = kv.split_once('=').context("--set key=value")?;
                let value =
                    serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
                overrides.insert(k.to_string(), value);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let split_dir = split_dir.context("--split-dir DIR is required")?;
    let (train_path, test_path) = (split_dir.join("train.csv"), split_dir.join("test.csv"));
    if !train_path.exists() || !test_path.exists() {
        let rows = read_merged_csv(&data.context("--data CSV is required to write the split")?)?;
        let (train, test) = stratified_split(&rows, 0.2, split_seed);
        std::fs::create_dir_all(&split_dir)?;
        write_merged_csv(&train_path, &train)?;
        write_merged_csv(&test_path, &test)?;
        eprintln!(
            "split written: {} train, {} test rows",
            train.len(),
            test.len()
        );
    }
    if split_only {
        return Ok(());
    }
    let train_all = read_merged_csv(&train_path)?;
    let test = read_merged_csv(&test_path)?;
    // Early stopping needs its own validation rows, taken from the training part only.
    let (train, validation) = stratified_split(&train_all, 0.1, 7);

    let test_short = model::short_title_view(&test);
    println!(
        "{:<14} {:>6} {:>11} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "model", "view", "f1_weighted", "f1_macro", "accuracy", "train_s", "ece_raw", "ece"
    );
    let mut default_model: Option<Classifier> = None;
    for model_type in ModelType::ALL
        .into_iter()
        .filter(|m| only.is_none_or(|o| o == *m))
    {
        let mut cfg = serde_json::to_value(TrainConfig::for_model(model_type))?;
        if let Some(obj) = cfg.as_object_mut() {
            obj.extend(overrides.clone());
        }
        let cfg: TrainConfig = serde_json::from_value(cfg)?;
        let started = Instant::now();
        let verbose = std::env::var_os("BENCH_VERBOSE").is_some();
        let trained = model::train(&train, &validation, &cfg, |p| {
            if verbose && (p.step == 0 || p.validation_f1_weighted.is_some()) {
                eprintln!(
                    "{:>7.2}s epoch {} step {} loss {:.4} val {:?}",
                    started.elapsed().as_secs_f64(),
                    p.epoch,
                    p.step,
                    p.loss,
                    p.validation_f1_weighted
                );
            }
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let classifier = &trained.classifier;
        let raw = classifier.clone().uncalibrated();
        for (view, rows) in [("full", &test), ("short", &test_short)] {
            let m = classifier.evaluate(rows)?;
            let (bins_raw, bins) = (
                raw.calibration_bins(rows)?,
                classifier.calibration_bins(rows)?,
            );
            let (ece_raw, ece) = (bins_raw.ece(), bins.ece());
            println!(
                "{:<14} {view:>6} {:>11.4} {:>9.4} {:>9.4} {:>8.2} {ece_raw:>7.4} {ece:>7.4}   (best epoch {}, {} epochs, T {:.3})",
                model_type.as_str(),
                m.f1_weighted,
                m.f1_macro,
                m.accuracy,
                seconds,
                trained.report.best_epoch,
                trained.report.history.len(),
                classifier.config().temperature,
            );
            if let Some(path) = &json_out {
                let line = serde_json::json!({
                    "model": model_type.as_str(), "split_seed": split_seed, "view": view,
                    "f1_weighted": m.f1_weighted, "f1_macro": m.f1_macro, "accuracy": m.accuracy,
                    "train_s": seconds, "ece_raw": ece_raw, "ece": ece,
                    "temperature": classifier.config().temperature,
                    "ece_bins_raw": bins_raw, "ece_bins": bins,
                });
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                writeln!(f, "{line}")?;
            }
        }
        if let Some(path) = &probs_out {
            // The test rows' calibrated probabilities, per view, for bench/model_ceiling.py's blends.
            let mut views = serde_json::Map::new();
            for (view, rows) in [("full", &test), ("short", &test_short)] {
                let items: Vec<ProductText<'_>> = rows.iter().map(ProductText::from).collect();
                views.insert(
                    view.into(),
                    serde_json::to_value(classifier.probabilities_batch(&items)?)?,
                );
            }
            let value = serde_json::json!({
                "model": model_type.as_str(), "labels": classifier.labels(), "views": views,
            });
            std::fs::write(path, serde_json::to_vec(&value)?)?;
        }
        if let Some(dir) = &save {
            trained.save(&dir.join(model_type.as_str()))?;
        }
        if model_type == ModelType::DEFAULT || only.is_some() {
            default_model = Some(trained.classifier);
        }
    }
    let Some(classifier) = default_model.filter(|_| latency) else {
        return Ok(());
    };

    let items: Vec<ProductText<'_>> = test.iter().map(ProductText::from).collect();
    // The machine is shared: three passes, and the best throughput, say more than one noisy pass.
    let mut micros: Vec<f64> = Vec::with_capacity(3 * items.len());
    for _ in 0..3 {
        for item in &items {
            let t = Instant::now();
            std::hint::black_box(classifier.predict(item.designation, item.description, 5)?);
            micros.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    let mean = micros.iter().sum::<f64>() / micros.len() as f64;
    let pct = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "single-item latency ({}): mean {mean:.1} µs, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs over {} calls",
        classifier.config().model_type,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        micros.len()
    );
    let batch: Vec<ProductText<'_>> = items.iter().copied().cycle().take(40_000).collect();
    classifier.predict_batch(&batch[..2_000], 5)?;
    let mut rates = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let out = classifier.predict_batch(&batch, 5)?;
        rates.push(out.len() as f64 / t.elapsed().as_secs_f64());
    }
    println!(
        "batch throughput: best {:.0} items/s, runs {:?} ({} items per run, {} threads)",
        rates.iter().copied().fold(0.0, f64::max),
        rates.iter().map(|r| r.round() as u64).collect::<Vec<_>>(),
        batch.len(),
        rayon::current_num_threads()
    );
    Ok(())
}
