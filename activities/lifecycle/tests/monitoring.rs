//! Drift checks on the inference log: none, undrifted and drifted windows, on SQLite and PostgreSQL.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/prometheus.rs"]
mod promtext;

use promtext::check_prometheus_text;

use chrono::{Duration, Utc};
use data::inference::InferenceRecord;
use data::{LoadRequest, SourceFiles};
use lifecycle::drift_check;

async fn seeded(db: &common::TestDb) {
    db.store
        .import(
            &SourceFiles::Merged(common::sample_csv()),
            &Default::default(),
        )
        .await
        .unwrap();
    db.store
        .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
        .await
        .unwrap();
}

fn record(i: usize, designation: &str, description: &str, class: i64) -> InferenceRecord {
    let at = Utc::now() - Duration::minutes(5);
    InferenceRecord::new(
        format!("p-{i}"),
        at,
        ("m", "1"),
        designation,
        description,
        None,
        class,
        0.9,
        0.1,
    )
}

on_both_backends!(drift_on_the_inference_log, async |db: &common::TestDb| {
    seeded(db).await;
    let artifacts = db.artifacts();
    let until = Utc::now();
    let since = until - Duration::hours(1);

    // No inferences: a report that says so, no retraining.
    let empty = drift_check(&db.store, &artifacts, since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert_eq!(empty.record.current_rows, 0);
    assert!(!empty.retrain);
    assert!(empty.report.is_none());

    // Inferences drawn from the training rows themselves: no dataset drift.
    // (A random sample: rows in productid order differ from the rest — older products, fewer descriptions.)
    let mut training = db.store.training_texts().await.unwrap();
    use rand::seq::SliceRandom;
    training.shuffle(&mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7));
    let same: Vec<_> = training
        .iter()
        .take(600)
        .enumerate()
        .map(|(i, (d, s, c))| record(i, d, s, *c))
        .collect();
    assert_eq!(db.store.append_inference_log(&same).await.unwrap(), 600);
    assert_eq!(
        db.store.append_inference_log(&same).await.unwrap(),
        0,
        "prediction ids are logged once"
    );
    // Each check gets its own window end: a report is named (and recorded once) by its window.
    let until = until + Duration::seconds(1);
    let calm = drift_check(&db.store, &artifacts, since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert_eq!(calm.record.current_rows, 600);
    assert!(!calm.retrain, "{:?}", calm.report);

    // Then a flood of one kind of long product with descriptions, all predicted as one class.
    let flood: Vec<_> = (0..900)
        .map(|i| {
            record(
                10_000 + i,
                &format!("Piscine tubulaire ronde {i} cm bleu"),
                &"<p>Filtre à cartouche, bâche, échelle.</p> ".repeat(8),
                2583,
            )
        })
        .collect();
    db.store.append_inference_log(&flood).await.unwrap();
    let until = until + Duration::seconds(1);
    let storm = drift_check(&db.store, &artifacts, since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert!(storm.retrain, "{:?}", storm.report);
    let report = storm.report.as_ref().unwrap();
    assert!(report["share_of_drifted_columns"].as_f64().unwrap() > 0.3);
    let json = artifacts
        .get_verified(&storm.record.json_key, &storm.record.json_sha256)
        .await
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed["dataset_drift"], true);
    let html = artifacts
        .get_verified(&storm.record.html_key, &storm.record.html_sha256)
        .await
        .unwrap();
    let html = String::from_utf8(html.to_vec()).unwrap();
    // Self-contained: inline SVG, nothing loaded from anywhere (the SVG namespace URI is a name, not a fetch).
    assert!(html.contains("<svg"));
    for external in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(!html.contains(external), "the report loads {external}");
    }

    // The same result as Prometheus gauges: every sample line parses, the per-column gauges name each column.
    let text = storm.prometheus_text();
    check_prometheus_text(&text);
    assert!(
        text.contains("rakuten_dataset_drift_detected 1\n"),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("rakuten_drift_column_detected{"))
            .count(),
        5
    );
    assert!(
        text.contains(
            "rakuten_drift_column_score{column=\"designation\",stattest=\"abs_text_content_drift\"}"
        ),
        "{text}"
    );

    // A retried check of the same window is the same report, recorded once.
    let again = drift_check(&db.store, &artifacts, since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert_eq!(again.record.id, storm.record.id);
    assert_eq!(again.record.json_sha256, storm.record.json_sha256);
    assert!(again.retrain, "the recorded verdict");
    let reports = db.store.drift_reports(10).await.unwrap();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports.iter().filter(|r| r.dataset_drift).count(), 1);

    // The same kind of flood, but fewer rows than the minimum sample in its window: the report says drift, and
    // no retraining is due.
    let (w0, w1) = (until + Duration::seconds(10), until + Duration::seconds(20));
    let few: Vec<_> = (0..lifecycle::monitoring::MIN_CURRENT_ROWS / 2)
        .map(|i| {
            InferenceRecord::new(
                format!("few-{i}"),
                w0 + Duration::seconds(5),
                ("m", "1"),
                &format!("Piscine tubulaire ronde {i} cm bleu"),
                &"<p>Filtre à cartouche, bâche, échelle.</p> ".repeat(8),
                None,
                2583,
                0.9,
                0.1,
            )
        })
        .collect();
    db.store.append_inference_log(&few).await.unwrap();
    let small = drift_check(&db.store, &artifacts, w0, w1, 0.3, None, "test")
        .await
        .unwrap();
    assert_eq!(small.record.current_rows, few.len() as i64);
    assert!(small.record.dataset_drift, "{:?}", small.report);
    assert!(!small.retrain, "too few inferences to retrain on");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confidence_drift_is_judged_by_the_serving_model() {
    use rand::seq::SliceRandom;
    let db = common::TestDb::sqlite().await;
    seeded(&db).await;
    let artifacts = db.artifacts();
    let mut training = db.store.training_texts().await.unwrap();
    let rows: Vec<model::LabeledText> = training
        .iter()
        .map(|(d, s, c)| model::LabeledText {
            designation: d.clone(),
            description: s.clone(),
            label: *c,
        })
        .collect();
    let classifier = tokio::task::spawn_blocking(move || {
        let cfg = model::TrainConfig {
            max_epochs: 3,
            ..model::TrainConfig::for_model(model::ModelType::TfidfLogreg)
        };
        let (train, validation) = model::stratified_split(&rows, 0.15, 1);
        model::train(&train, &validation, &cfg, |_| {})
            .unwrap()
            .classifier
    })
    .await
    .unwrap();
    let classifier = std::sync::Arc::new(classifier);

    // Predictions as the service would log them, on rows like the training data: confidence does not drift.
    training.shuffle(&mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3));
    let calm: Vec<_> = training
        .iter()
        .take(600)
        .enumerate()
        .map(|(i, (d, s, _))| {
            let p = classifier.predict(d, s, 1).unwrap();
            InferenceRecord::new(
                format!("c-{i}"),
                Utc::now() - Duration::minutes(5),
                ("m", "1"),
                d,
                s,
                None,
                p.predicted_class,
                p.confidence as f64,
                0.1,
            )
        })
        .collect();
    db.store.append_inference_log(&calm).await.unwrap();
    let until = Utc::now();
    let since = until - Duration::hours(1);
    let check = drift_check(
        &db.store,
        &artifacts,
        since,
        until,
        0.3,
        Some(classifier.clone()),
        "test",
    )
    .await
    .unwrap();
    let column = |c: &lifecycle::DriftCheck, name: &str| {
        c.report.as_ref().unwrap()["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["column_name"] == name)
            .cloned()
    };
    let confidence = column(&check, "confidence")
        .expect("a confidence column when a model scores the reference");
    assert_eq!(confidence["drift_detected"], false, "{confidence}");

    // The same rows logged with collapsed confidence: confidence drifts.
    let unsure: Vec<_> = calm
        .iter()
        .map(|r| InferenceRecord {
            prediction_id: format!("u-{}", r.prediction_id),
            confidence: 0.05,
            ..r.clone()
        })
        .collect();
    let later = Utc::now();
    let unsure: Vec<_> = unsure
        .into_iter()
        .map(|r| InferenceRecord { at: later, ..r })
        .collect();
    db.store.append_inference_log(&unsure).await.unwrap();
    let check = drift_check(
        &db.store,
        &artifacts,
        later,
        later + Duration::seconds(1),
        0.3,
        Some(classifier),
        "test",
    )
    .await
    .unwrap();
    assert_eq!(
        column(&check, "confidence").unwrap()["drift_detected"],
        true
    );
    // Without a model there is no reference confidence, so no confidence column (another window: the first
    // one's report is recorded, and checking it again returns it).
    let until = until + Duration::milliseconds(1);
    let check = drift_check(&db.store, &artifacts, since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert!(column(&check, "confidence").is_none());
    db.cleanup().await;
}
