//! The inference service under test: two models trained on the real sample (once per build of the test binary,
//! cached in the target's temporary folder across test processes), registry helpers, a started server with
//! REST and gRPC clients, and waits that poll with a deadline.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use inference::{ServeConfig, ServeHandle};
use rakuten_proto::v1::inference_service_client::InferenceServiceClient;
use registry::{RegisterRequest, Registry, Stage};
use reqwest::StatusCode;
use serde_json::Value;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::common::{self, TestDb};

pub const SERVING: i32 = 1;
pub const NOT_SERVING: i32 = 2;
const DEADLINE: Duration = Duration::from_secs(90);

/// Two models of the same type trained with different seeds (different weights, different artifacts).
pub fn trained_models() -> (&'static Path, &'static Path) {
    static MODELS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    let (a, b) = MODELS.get_or_init(|| (cached_model(1), cached_model(2)));
    (a, b)
}

/// Trained once per test binary build: keyed by the binary's modification time, made in a temporary folder
/// and renamed into place, so parallel test processes never see half a model.
fn cached_model(seed: u64) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let stamp = std::fs::metadata(&exe)
        .and_then(|m| m.modified())
        .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
        .unwrap_or(0);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-models");
    let dir = root.join(format!("{stamp}-seed{seed}"));
    if dir.join("config.json").exists() {
        return dir;
    }
    std::fs::create_dir_all(&root).unwrap();
    // Models of earlier builds are stale: remove them once they are an hour old (each test binary has its own
    // stamp, and another binary of this build may still be reading its models).
    for old in std::fs::read_dir(&root).unwrap().flatten() {
        let name = old.file_name().to_string_lossy().into_owned();
        let idle = old
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|e| e > Duration::from_secs(3600)));
        if idle
            && name
                .split('-')
                .next()
                .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s < stamp))
        {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
    let rows: Vec<model::LabeledText> = data::SourceFiles::Merged(common::sample_csv())
        .read()
        .unwrap()
        .into_iter()
        .map(|r| model::LabeledText {
            designation: r.designation,
            description: r.description,
            label: r.prdtypecode,
        })
        .collect();
    let cfg = model::TrainConfig {
        max_epochs: 3,
        seed,
        ..model::TrainConfig::for_model(model::ModelType::TfidfLogreg)
    };
    let (train, validation) = model::stratified_split(&rows, 0.15, seed);
    let trained = model::train(&train, &validation, &cfg, |_| {}).unwrap();
    let tmp = tempfile::tempdir_in(&root).unwrap();
    trained.save(tmp.path()).unwrap();
    let tmp = tmp.keep();
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process got there first: use its copy.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    dir
}

pub async fn register(db: &TestDb, dir: &Path) -> i64 {
    let registry = Registry::new(db.store.clone(), db.artifacts());
    let req = RegisterRequest {
        run_id: None,
        dataset_version: None,
        metrics: serde_json::json!({"f1_weighted": 0.8}),
        holdout_id: None,
        actor: "test".into(),
    };
    registry
        .register(contracts::MODEL_NAME, dir, &req)
        .await
        .unwrap()
        .0
        .version
}

pub async fn promote(db: &TestDb, version: i64) {
    Registry::new(db.store.clone(), db.artifacts())
        .transition(
            contracts::MODEL_NAME,
            version,
            Stage::Production,
            "test",
            "test",
        )
        .await
        .unwrap();
}

/// Rows of the real sample with a description, spread over the file.
pub fn sample_rows(n: usize) -> Vec<(String, String)> {
    let rows = data::SourceFiles::Merged(common::sample_csv())
        .read()
        .unwrap();
    let step = rows.len() / n;
    rows.iter()
        .step_by(step)
        .take(n)
        .map(|r| (r.designation.clone(), r.description.clone()))
        .collect()
}

/// Polls `check` every 20 ms until it holds; fails the test after the deadline.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct Server {
    pub handle: ServeHandle,
    pub client: reqwest::Client,
}

impl Server {
    pub async fn start(db: &TestDb, config: ServeConfig) -> Server {
        let config = ServeConfig {
            http_port: 0,
            grpc_port: 0,
            ..config
        };
        let registry = Registry::new(db.store.clone(), db.artifacts());
        let handle = inference::start(config, db.store.clone(), registry)
            .await
            .unwrap();
        Server {
            handle,
            client: reqwest::Client::new(),
        }
    }

    /// A server over a store and registry of the caller's (a proxied connection, say).
    pub async fn start_with(store: data::Store, registry: Registry, config: ServeConfig) -> Server {
        let config = ServeConfig {
            http_port: 0,
            grpc_port: 0,
            ..config
        };
        let handle = inference::start(config, store, registry).await.unwrap();
        Server {
            handle,
            client: reqwest::Client::new(),
        }
    }

    pub async fn shutdown(self) {
        tokio::time::timeout(Duration::from_secs(60), self.handle.shutdown())
            .await
            .expect("shutdown finishes")
            .unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.handle.http_addr)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.1
    }

    pub async fn text(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        assert!(r.status().is_success());
        r.text().await.unwrap()
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: {status} answer is not JSON ({e}): {text}"));
        (status, json)
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_raw(path, body.to_string().into_bytes()).await
    }

    pub async fn post_ok(&self, path: &str, body: &Value) -> Value {
        let (status, answer) = self.post(path, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
        answer
    }

    /// Polls `/health` until `check` holds; returns that health document.
    pub async fn wait_for_health(&self, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let h = self.get_json("/health").await;
            if check(&h) {
                return h;
            }
            assert!(start.elapsed() < DEADLINE, "timed out; last health: {h}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_status(&self, status: &str) -> Value {
        self.wait_for_health(|h| h["status"] == status).await
    }

    pub async fn grpc(&self) -> InferenceServiceClient<Channel> {
        InferenceServiceClient::connect(format!("http://{}", self.handle.grpc_addr))
            .await
            .unwrap()
    }

    pub async fn grpc_health(&self, service: &str) -> i32 {
        Self::grpc_health_at(self.handle.grpc_addr, service).await
    }

    /// The gRPC health of `service` at `addr` (1 SERVING, 2 NOT_SERVING).
    pub async fn grpc_health_at(addr: std::net::SocketAddr, service: &str) -> i32 {
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = HealthClient::new(channel);
        client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
    }

    /// The services gRPC reflection lists.
    pub async fn reflected_services(&self) -> Vec<String> {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let channel = Channel::from_shared(format!("http://{}", self.handle.grpc_addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new(channel)
            .server_reflection_info(futures::stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        match answers.message().await.unwrap().unwrap().message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                list.service.into_iter().map(|s| s.name).collect()
            }
            other => panic!("unexpected reflection answer {other:?}"),
        }
    }

    /// Sends `message` (raw protobuf bytes) to `Predict`; the status the server answers.
    pub async fn grpc_raw_predict(&self, message: Vec<u8>) -> tonic::Status {
        let channel = Channel::from_shared(format!("http://{}", self.handle.grpc_addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.unwrap();
        let path =
            http::uri::PathAndQuery::from_static("/rakuten.inference.v1.InferenceService/Predict");
        grpc.unary(tonic::Request::new(message), path, RawCodec)
            .await
            .expect_err("the server refuses the message")
    }

    /// Predictions served so far, from `/metrics`.
    pub async fn predictions_served(&self) -> f64 {
        sample_value(&self.text("/metrics").await, "rakuten_predictions_total")
    }
}

/// The sum of a metric's samples in Prometheus text (0 when absent).
pub fn sample_value(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// A PostgreSQL database of the test's own, which the test can drop under the running service.
pub struct OwnDatabase {
    pub db: TestDb,
    name: String,
}

pub async fn own_pg_database() -> OwnDatabase {
    let base = common::pg_url();
    let name = format!("serve_{}", uuid::Uuid::new_v4().simple());
    let admin = data::Store::connect_unmigrated(&base).await.unwrap();
    admin
        .execute_raw(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await;
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("unexpected PostgreSQL URL {base}"),
    };
    let store = data::Store::connect(&url).await.unwrap();
    OwnDatabase {
        db: TestDb::from_parts(store, url),
        name,
    }
}

impl OwnDatabase {
    /// Its name (to connect to it through another address).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn drop_database(&self) {
        let admin = data::Store::connect_unmigrated(&common::pg_url())
            .await
            .unwrap();
        admin
            .execute_raw(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await
            .unwrap();
        admin.close().await;
    }
}

/// Bytes in, bytes out: a gRPC client that can send what the generated one cannot (invalid UTF-8).
struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use prost::bytes::BufMut;
        buf.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        buf: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use prost::bytes::Buf;
        Ok(Some(buf.copy_to_bytes(buf.remaining()).to_vec()))
    }
}
