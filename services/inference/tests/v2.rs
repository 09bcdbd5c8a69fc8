//! The Open Inference Protocol (KServe v2) on real servers: the real `tritonclient` package (PyPI, installed by
//! .ci/run) calls it over HTTP (binary tensors and JSON) and gRPC (raw contents) with its defaults, and its
//! answers must be the service's own (`POST /predict/batch`) for the same real products; every answer is in
//! the inference log; malformed tensors are refused naming what is wrong.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/serving.rs"]
mod serving;

use inference::ServeConfig;
use rakuten_proto::kserve::grpc_inference_service_client::GrpcInferenceServiceClient;
use rakuten_proto::kserve::model_infer_request::InferInputTensor;
use rakuten_proto::kserve::{InferTensorContents, ModelInferRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};
use serving::{Server, promote, register, trained_models};

const MODEL: &str = contracts::MODEL_NAME;

/// tritonclient's report (see `support/tritonclient_calls.py`).
fn tritonclient(server: &Server, products: &[(String, String)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("products.json");
    std::fs::write(&path, serde_json::to_vec(products).unwrap()).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/tritonclient_calls.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(server.handle.http_addr.to_string())
        .arg(server.handle.grpc_addr.to_string())
        .arg(MODEL)
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "tritonclient (pip install 'tritonclient[http,grpc]'): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The service's own answers for the products, with `top_k` classes each.
async fn own_answers(server: &Server, products: &[(String, String)], top_k: u64) -> Vec<Value> {
    let items: Vec<Value> = products
        .iter()
        .map(|(d, s)| json!({"designation": d, "description": s}))
        .collect();
    let answer = server
        .post_ok("/predict/batch", &json!({"items": items, "top_k": top_k}))
        .await;
    answer["predictions"].as_array().unwrap().clone()
}

/// The classes of an answer of our own, most probable first.
fn top_classes(p: &Value) -> Vec<i64> {
    let mut probs: Vec<(i64, f64)> = p["probabilities"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(c, v)| (c.parse().unwrap(), v.as_f64().unwrap()))
        .collect();
    probs.sort_by(|a, b| b.1.total_cmp(&a.1));
    probs.into_iter().map(|(c, _)| c).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tritonclient_gets_the_services_own_answers_over_both_transports() {
    let db = common::TestDb::sqlite().await;
    let (v1, _) = trained_models();
    let version = register(&db, v1).await.to_string();
    promote(&db, version.parse().unwrap()).await;
    let server = Server::start(&db, ServeConfig::default()).await;
    server.wait_status("healthy").await;

    let products = serving::sample_rows(24);
    let own5 = own_answers(&server, &products, 5).await;
    let own3 = own_answers(&server, &products, 3).await;
    let report = tritonclient(&server, &products);

    let mut ids = std::collections::HashSet::new();
    for transport in ["http", "grpc"] {
        let r = &report[transport];
        assert_eq!(r["live"], true, "{transport}: {r}");
        assert_eq!(r["ready"], true, "{transport}");
        assert_eq!(r["model_ready"], true, "{transport}");
        let meta = &r["metadata"];
        assert_eq!(meta["name"], MODEL, "{transport}: {meta}");
        assert_eq!(meta["versions"], json!([version]), "{transport}");
        let inputs: Vec<&str> = meta["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(inputs, ["designation", "description"], "{transport}");
        assert_eq!(meta["outputs"].as_array().unwrap().len(), 5, "{transport}");

        // The client's defaults: every output, the same answers as our own API.
        let d = &r["infer_default"];
        assert_eq!(d["model_version"], version.as_str(), "{transport}");
        for (i, own) in own5.iter().enumerate() {
            assert_eq!(
                d["predicted_class"][i], own["predicted_class"],
                "{transport} #{i}"
            );
            let (theirs, ours) = (
                d["confidence"][i].as_f64().unwrap(),
                own["confidence"].as_f64().unwrap(),
            );
            assert!(
                (theirs - ours).abs() < 1e-6,
                "{transport} #{i}: {theirs} vs {ours}"
            );
            let classes: Vec<i64> = d["top_k_classes"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_i64().unwrap())
                .collect();
            assert_eq!(classes, top_classes(own), "{transport} #{i}");
            let p: Vec<f64> = d["top_k_probabilities"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_f64().unwrap())
                .collect();
            assert!(
                p.windows(2).all(|w| w[0] >= w[1]),
                "{transport} #{i}: {p:?}"
            );
            let id = d["prediction_id"][i].as_str().unwrap().to_string();
            assert!(ids.insert(id), "one id per prediction");
        }

        // Outputs named, in the order asked; top_k from the request's parameters; the request id echoed.
        let n = &r["infer_named"];
        assert_eq!(
            n["order"],
            json!(["top_k_classes", "predicted_class"]),
            "{transport}: {n}"
        );
        assert_eq!(n["id"], "req-7", "{transport}");
        assert!(
            n.get("confidence").is_none(),
            "{transport}: only what was asked"
        );
        for (i, own) in own3.iter().enumerate() {
            assert_eq!(
                n["predicted_class"][i], own["predicted_class"],
                "{transport} #{i}"
            );
            let classes: Vec<i64> = serde_json::from_value(n["top_k_classes"][i].clone()).unwrap();
            assert_eq!(classes, top_classes(own), "{transport} #{i}");
        }

        // Mistakes reach the client as errors naming what is wrong.
        let e = &r["errors"];
        assert!(
            e["unknown_model"]["message"]
                .as_str()
                .unwrap()
                .contains("no model named"),
            "{transport}: {e}"
        );
        assert!(
            e["wrong_input"]["message"]
                .as_str()
                .unwrap()
                .contains("inputs.designation"),
            "{transport}: {e}"
        );
        assert!(
            e["wrong_version"]["message"]
                .as_str()
                .unwrap()
                .contains("is not served"),
            "{transport}: {e}"
        );
    }
    assert_eq!(report["http"]["other_model_ready"], false);
    assert_eq!(
        report["grpc"]["other_model_ready"]["status"],
        "StatusCode.NOT_FOUND"
    );
    assert_eq!(report["http"]["errors"]["unknown_model"]["status"], "404");
    assert_eq!(
        report["grpc"]["errors"]["wrong_input"]["status"],
        "StatusCode.INVALID_ARGUMENT"
    );

    // Every answer is in the inference log: ours (2 × 24) and tritonclient's (2 calls × 24 on each transport).
    let store = db.store.clone();
    server.shutdown().await;
    let logged = store
        .inference_log(chrono::DateTime::UNIX_EPOCH, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(logged.len(), 2 * 24 + 2 * 2 * 24);
    let logged_ids: std::collections::HashSet<&str> =
        logged.iter().map(|r| r.prediction_id.as_str()).collect();
    assert!(ids.iter().all(|id| logged_ids.contains(id.as_str())));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_tensors_are_refused_naming_what_is_wrong() {
    let db = common::TestDb::sqlite().await;
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    let server = Server::start(&db, ServeConfig::default()).await;
    server.wait_status("healthy").await;
    let infer = format!("/v2/models/{MODEL}/infer");

    // JSON tensors, nested [N, 1], no description: answered in JSON.
    let (status, body) = server
        .post(
            &infer,
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [2, 1],
                               "data": [["Livre de cuisine"], ["Piscine gonflable"]]}],
                   "outputs": [{"name": "predicted_class"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outputs"][0]["shape"], json!([2]));
    assert_eq!(body["outputs"][0]["data"].as_array().unwrap().len(), 2);

    let refused = [
        (
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [3], "data": ["a", "b"]}]}),
            StatusCode::BAD_REQUEST,
            "designation",
        ),
        (
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [1], "data": [7]}]}),
            StatusCode::BAD_REQUEST,
            "inputs[0].data",
        ),
        (
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [1], "data": ["a"]}],
                   "outputs": [{"name": "logits"}]}),
            StatusCode::BAD_REQUEST,
            "outputs[0].name",
        ),
        (
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [1], "data": [" "]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "items[0].designation",
        ),
        (
            json!({"parameters": {"top_k": 40},
                   "inputs": [{"name": "designation", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameters.top_k",
        ),
        (
            json!({"id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "inputs",
        ),
    ];
    for (request, status, field) in refused {
        let (got, body) = server.post(&infer, request.clone()).await;
        assert_eq!(got, status, "{request}: {body}");
        assert_eq!(body["field"], field, "{request}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }

    // The binary extension: a header length past the body, binary sizes past the data.
    let head = br#"{"inputs":[{"name":"designation","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":9}}]}"#;
    let post_binary = |header_len: usize, tail: &[u8]| {
        let mut body = head.to_vec();
        body.extend_from_slice(tail);
        server
            .client
            .post(server.url(&infer))
            .header("Inference-Header-Content-Length", header_len)
            .body(body)
            .send()
    };
    let mut element = 5u32.to_le_bytes().to_vec();
    element.extend_from_slice(b"Livre");
    let ok = post_binary(head.len(), &element).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    // No binary output asked for: the answer is JSON alone.
    assert!(
        ok.headers()
            .get("inference-header-content-length")
            .is_none()
    );
    let answer: Value = ok.json().await.unwrap();
    assert_eq!(answer["model_name"], MODEL);
    for (header_len, tail, field) in [
        (
            head.len() + 100,
            &element[..],
            "Inference-Header-Content-Length",
        ),
        (
            head.len(),
            &element[..6],
            "inputs[0].parameters.binary_data_size",
        ),
    ] {
        let r = post_binary(header_len, tail).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], field, "{body}");
    }

    // Another model or version: 404, counted.
    let (status, body) = server.get("/v2/models/other").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error_type"], "unknown_model");
    let (status, _) = server
        .post(
            "/v2/models/other/infer",
            json!({"inputs": [{"name": "designation", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .get(&format!("/v2/models/{MODEL}/versions/999/ready"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server.get("/v2/health/ready").await;
    assert_eq!((status, &body["ready"]), (StatusCode::OK, &json!(true)));

    // gRPC: raw contents that end inside an element, and contents beside raw contents.
    let mut grpc =
        GrpcInferenceServiceClient::connect(format!("http://{}", server.handle.grpc_addr))
            .await
            .unwrap();
    let tensor = |contents: Option<InferTensorContents>| InferInputTensor {
        name: "designation".into(),
        datatype: "BYTES".into(),
        shape: vec![1],
        parameters: Default::default(),
        contents,
    };
    let cases = [
        (
            vec![tensor(None)],
            vec![element[..7].to_vec()],
            "raw_input_contents[0]",
        ),
        (
            vec![tensor(Some(InferTensorContents {
                bytes_contents: vec![b"Livre".to_vec()],
                ..Default::default()
            }))],
            vec![element.clone()],
            "inputs[0].contents",
        ),
    ];
    for (inputs, raw_input_contents, field) in cases {
        let status = grpc
            .model_infer(ModelInferRequest {
                model_name: MODEL.into(),
                inputs,
                raw_input_contents,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{status:?}");
    }
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains(r#"rakuten_api_errors_total{error_type="unknown_model"}"#)
            && metrics.contains(r#"rakuten_api_errors_total{error_type="invalid_tensor"}"#),
        "refusals are counted"
    );
    server.shutdown().await;
    db.cleanup().await;
}
