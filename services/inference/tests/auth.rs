//! API keys and TLS on real servers (both transports on 127.0.0.1 port 0, a model trained on the real sample):
//! without a key, with a wrong one and with another scheme the prediction endpoints refuse (401 /
//! UNAUTHENTICATED, one message for all) and count it, with a right key they answer, and the probes stay open;
//! with a certificate generated here (openssl) both ports speak TLS only, and clients that trust it get answers.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/serving.rs"]
mod serving;

use std::path::Path;
use std::process::Command;

use inference::ServeConfig;
use inference::auth::{ApiKeys, TlsFiles, UNAUTHENTICATED};
use rakuten_proto::v1::PredictRequest;
use rakuten_proto::v1::inference_service_client::InferenceServiceClient;
use reqwest::StatusCode;
use serde_json::{Value, json};
use serving::{Server, promote, register, trained_models};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

const KEY: &str = "k-3f1c9a27b0e84d56";

async fn serving_db() -> common::TestDb {
    let db = common::TestDb::sqlite().await;
    db.import_sample().await;
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    db
}

fn product() -> Value {
    let (designation, description) = serving::sample_rows(1).remove(0);
    json!({ "designation": designation, "description": description })
}

fn grpc_request() -> tonic::Request<PredictRequest> {
    let (designation, description) = serving::sample_rows(2).remove(1);
    tonic::Request::new(PredictRequest {
        designation,
        description,
        imageid: None,
        top_k: None,
    })
}

/// `POST /predict` of a real product with the right key.
async fn predict_with_key(client: &reqwest::Client, base: &str) -> reqwest::Response {
    client
        .post(format!("{base}/predict"))
        .header("authorization", format!("Bearer {KEY}"))
        .json(&product())
        .send()
        .await
        .unwrap()
}

/// A gRPC Predict of a real product with the right key answers with a class.
async fn grpc_predicts_with_key(grpc: &mut InferenceServiceClient<Channel>) {
    let answer = grpc
        .predict(with_authorization(grpc_request(), &format!("Bearer {KEY}")))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.predicted_class > 0);
}

fn with_authorization<T>(mut request: tonic::Request<T>, value: &str) -> tonic::Request<T> {
    request
        .metadata_mut()
        .insert("authorization", value.parse().unwrap());
    request
}

async fn unauthenticated_count(client: &reqwest::Client, base: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| {
            l.starts_with("rakuten_api_errors_total{")
                && l.contains("error_type=\"unauthenticated\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_guard_both_transports_and_leave_the_probes_open() {
    let db = serving_db().await;
    let server = Server::start(
        &db,
        ServeConfig {
            api_keys: ApiKeys::new(&["another-key", KEY]),
            ..ServeConfig::default()
        },
    )
    .await;
    server.wait_status("healthy").await;
    let client = &server.client;
    let base = format!("http://{}", server.handle.http_addr);

    // REST: no header, a wrong key, another scheme, an empty bearer: the same 401 and the same message.
    let attempts: [Option<String>; 4] = [
        None,
        Some("Bearer not-the-key".into()),
        Some(format!("Basic {KEY}")),
        Some("Bearer ".into()),
    ];
    for authorization in &attempts {
        for path in ["/predict", "/models/current"] {
            let mut request = if path == "/predict" {
                client.post(format!("{base}{path}")).json(&product())
            } else {
                client.get(format!("{base}{path}"))
            };
            if let Some(a) = authorization {
                request = request.header("authorization", a);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{path} {authorization:?}"
            );
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error_type"], "unauthenticated");
            assert_eq!(
                body["error"], UNAUTHENTICATED,
                "nothing says which part was wrong"
            );
        }
    }
    // The right key: an answer.
    let ok = predict_with_key(client, &base).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let ok: Value = ok.json().await.unwrap();
    assert!(ok["predicted_class"].is_i64(), "{ok}");
    // Probes, health, metrics and the API description need no key.
    for path in ["/livez", "/readyz", "/health", "/metrics", "/openapi.json"] {
        let status = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK, "{path}");
    }

    // gRPC: the same rule on the inference service; health and reflection stay open.
    let mut grpc = server.grpc().await;
    for authorization in [None, Some("Bearer not-the-key"), Some("bearer")] {
        let request = match authorization {
            Some(a) => with_authorization(grpc_request(), a),
            None => grpc_request(),
        };
        let status = grpc.predict(request).await.unwrap_err();
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{authorization:?}"
        );
        assert_eq!(status.message(), UNAUTHENTICATED);
    }
    grpc_predicts_with_key(&mut grpc).await;
    assert_eq!(server.grpc_health("").await, 1, "health needs no key");

    // Every refusal counted: 4 attempts × 2 REST paths + 3 gRPC.
    assert_eq!(unauthenticated_count(client, &base).await, 11.0);
    server.shutdown().await;
    db.cleanup().await;
}

/// A self-signed certificate for `localhost` and 127.0.0.1, made with openssl in `dir`.
fn certificate(dir: &Path) -> TlsFiles {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-days", "2", "-nodes", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // A server certificate, not a CA (webpki refuses a CA certificate as the server's).
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    TlsFiles { cert, key }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_on_both_ports_with_keys() {
    let db = serving_db().await;
    let dir = tempfile::tempdir().unwrap();
    let files = certificate(dir.path());
    let pem = std::fs::read(&files.cert).unwrap();
    let server = Server::start(
        &db,
        ServeConfig {
            api_keys: ApiKeys::new(&[KEY]),
            tls: Some(files.clone()),
            ..ServeConfig::default()
        },
    )
    .await;
    let (http, grpc_addr) = (server.handle.http_addr, server.handle.grpc_addr);

    // REST over HTTPS, trusting the generated certificate (HTTP/1.1 and HTTP/2 by ALPN).
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", http.port());
    serving::wait_until("the model served over TLS", || async {
        trusting
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let answer = predict_with_key(&trusting, &base).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.version(), reqwest::Version::HTTP_2, "h2 by ALPN");
    let refused = trusting
        .post(format!("{base}/predict"))
        .json(&product())
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::UNAUTHORIZED,
        "keys still apply"
    );
    // Plain HTTP to the TLS port gets no answer; a client that does not trust the certificate neither.
    let plain = reqwest::Client::new()
        .get(format!("http://{http}/livez"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    assert!(
        reqwest::Client::new()
            .get(format!("{base}/livez"))
            .send()
            .await
            .is_err()
    );

    // gRPC over TLS.
    let channel = Channel::from_shared(format!("https://localhost:{}", grpc_addr.port()))
        .unwrap()
        .tls_config(
            ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(&pem))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = InferenceServiceClient::new(channel);
    grpc_predicts_with_key(&mut grpc).await;
    // Plain gRPC to the TLS port fails.
    let plain = InferenceServiceClient::connect(format!("http://{grpc_addr}")).await;
    let failed = match plain {
        Err(_) => true,
        Ok(mut c) => c
            .predict(with_authorization(grpc_request(), &format!("Bearer {KEY}")))
            .await
            .is_err(),
    };
    assert!(failed, "plain gRPC on the TLS port");

    // A key that does not fit the certificate is refused before anything listens.
    let other = tempfile::tempdir().unwrap();
    let mismatched = TlsFiles {
        cert: files.cert.clone(),
        key: certificate(other.path()).key,
    };
    let error = inference::start(
        ServeConfig {
            http_port: 0,
            grpc_port: 0,
            tls: Some(mismatched),
            ..ServeConfig::default()
        },
        db.store.clone(),
        registry::Registry::new(db.store.clone(), db.artifacts()),
    )
    .await
    .err()
    .expect("a mismatched key is refused");
    assert!(format!("{error:#}").contains("does not fit"), "{error:#}");
    server.shutdown().await;
    db.cleanup().await;
}
