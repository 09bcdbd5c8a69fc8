//! Observability on real servers: a Temporal dev server, `rakuten worker` and `rakuten serve` processes on a
//! PostgreSQL store, a real Prometheus (Debian package `prometheus`) scraping both with the rules of
//! `deploy/prometheus/rules`, and an OTLP receiver (the collector's gRPC trace service) inside the test.
//!
//! After two weekly pipelines, a failed training, a drift check and some traffic (varied real products, REST
//! and gRPC, good and bad requests):
//! - every query of every panel of `dashboards/*.json`, and every recording rule, returns data from
//!   Prometheus's HTTP API; every rule evaluates without error; the training-failure alert fires;
//! - the traces arrive: one per REST and gRPC request (continuing the caller's `traceparent`) with its decode,
//!   predict and log-enqueue spans as children, and one per activity with its workflow and run ids;
//! - the worker's `--log-format json` lines are JSON objects carrying their spans' fields.
//!
//! `RAKUTEN_DASHBOARD_SCREENSHOTS=DIR` also writes, per dashboard, Prometheus's own graph page of its key
//! queries rendered by headless Chromium (how the pictures in `dashboards/README.md` are made).

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use contracts::lifecycle::{IngestInput, TrainingInput, TrainingOptions};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::Value;
use support::{Process, free_port, models_current, repo, sample_products, until};

/// The traceparent the test's first REST and gRPC calls carry.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN: &str = "00f067aa0ba902b7";

#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<ExportTraceServiceRequest>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// A span as received, with its service's name.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    span: Span,
}

impl Receiver {
    fn spans(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for request in self.0.lock().unwrap().iter() {
            for rs in &request.resource_spans {
                let service = rs
                    .resource
                    .as_ref()
                    .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                    .and_then(|a| a.value.as_ref())
                    .and_then(|v| match &v.value {
                        Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                for ss in &rs.scope_spans {
                    for span in &ss.spans {
                        out.push(Received {
                            service: service.clone(),
                            span: span.clone(),
                        });
                    }
                }
            }
        }
        out
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| match &v.value {
            Some(any_value::Value::StringValue(s)) => Some(s.clone()),
            Some(any_value::Value::IntValue(i)) => Some(i.to_string()),
            _ => None,
        })
}

/// Classifies the products in one `POST /predict/batch`.
async fn predict_batch(http: &reqwest::Client, rest: &str, products: &[(String, String)]) {
    let items: Vec<Value> = products
        .iter()
        .map(|(d, s)| serde_json::json!({"designation": d, "description": s}))
        .collect();
    let batch = http
        .post(format!("{rest}/predict/batch"))
        .json(&serde_json::json!({ "items": items }))
        .send()
        .await
        .unwrap();
    assert!(batch.status().is_success());
}

/// Prometheus's instant query: the result vector (empty when there is no data).
async fn query(http: &reqwest::Client, prometheus: &str, expr: &str) -> Result<Vec<Value>, String> {
    let r: Value = http
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", expr)])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    if r["status"] != "success" {
        return Err(format!("{r}"));
    }
    Ok(r["data"]["result"].as_array().cloned().unwrap_or_default())
}

/// A panel query as Grafana would send it over the last hour.
fn grafana_expr(expr: &str) -> String {
    expr.replace("$__rate_interval", "5m")
        .replace("$__range", "1h")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_rules_alerts_and_traces_on_real_servers() {
    let prometheus_bin = which("prometheus")
        .expect("the prometheus server (Debian package prometheus; .ci/run installs it)");
    let db = common::TestDb::postgres().await;
    db.import_sample().await;
    let dir = db.dir.path().to_path_buf();
    let server = support::dev_server(&dir).await;

    // The OTLP receiver.
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(receiver.clone()))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );

    let rakuten = |args: &[&str], log: &Path| {
        let log = std::fs::File::create(log).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_rakuten"));
        c.args(args)
            .env("RAKUTEN_DATABASE_URL", &db.url)
            .env("RAKUTEN_ARTIFACTS", dir.join("artifacts"))
            .env("RAKUTEN_ACTOR", "test")
            .env("RAKUTEN_LOG_FORMAT", "json")
            .env(
                "RUST_LOG",
                "info,sqlx=warn,h2=warn,tower=warn,hyper=warn,temporalio_sdk_core=warn",
            )
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
            .env("OTEL_BSP_SCHEDULE_DELAY", "200")
            .stderr(log);
        c
    };
    let worker_metrics_port = free_port();
    let worker_log = dir.join("worker.log");
    let mut worker = Process(Some(
        rakuten(
            &[
                "worker",
                "--temporal-address",
                &server.address,
                "--work-dir",
                dir.join("work").to_str().unwrap(),
                "--metrics-port",
                &worker_metrics_port.to_string(),
            ],
            &worker_log,
        )
        .spawn()
        .unwrap(),
    ));
    let mut serve_child = rakuten(
        &[
            "--json",
            "serve",
            "--http-port",
            "0",
            "--grpc-port",
            "0",
            "--poll",
            "1s",
        ],
        &dir.join("serve.log"),
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let addresses = support::first_json_line(&mut serve_child);
    let mut serve = Process(Some(serve_child));
    let rest = addresses["http"].as_str().unwrap().to_string();
    let grpc = addresses["grpc"].as_str().unwrap().to_string();
    let worker_url = format!("http://127.0.0.1:{worker_metrics_port}");

    // Prometheus, scraping both every second and evaluating the project's rules every second.
    let prometheus_port = free_port();
    let prometheus = format!("http://127.0.0.1:{prometheus_port}");
    let rules = repo().join("deploy/prometheus/rules");
    let config = dir.join("prometheus.yml");
    let yaml = format!(
        r#"global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {recording}
  - {alerts}
scrape_configs:
  - job_name: rakuten-inference
    static_configs:
      - targets: ["{inference}"]
  - job_name: rakuten-worker
    static_configs:
      - targets: ["127.0.0.1:{worker_metrics_port}"]
"#,
        recording = rules.join("recording.yml").display(),
        alerts = rules.join("alerts.yml").display(),
        inference = rest.trim_start_matches("http://"),
    );
    std::fs::write(&config, yaml).unwrap();
    let _prometheus = Process(Some(
        Command::new(&prometheus_bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .unwrap(),
    ));
    let http = reqwest::Client::new();
    until("prometheus ready", Duration::from_secs(60), async || {
        let r = http
            .get(format!("{prometheus}/-/ready"))
            .send()
            .await
            .ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    until(
        "the worker's metrics",
        Duration::from_secs(60),
        async || {
            let r = http
                .get(format!("{worker_url}/metrics"))
                .send()
                .await
                .ok()?;
            r.status().is_success().then_some(())
        },
    )
    .await;

    // Week 1 trains the first model; the policy's production threshold keeps it out of Production on this
    // sample, so an operator promotes it (a manual promotion is counted like any other).
    let client = worker::connect(&server.address, "default").await.unwrap();
    let quick = TrainingOptions {
        model_type: Some("tfidf_logreg".into()),
        ..Default::default()
    };
    let week = |batch: &str| IngestInput {
        batch: Some(batch.into()),
        training: quick.clone(),
        ..Default::default()
    };
    let first = support::run_workflow(
        &client,
        workflows::WeeklyIngest::run,
        week("week-2026-W48"),
        "ingest-w48",
    )
    .await
    .unwrap();
    let v1 = first.training.clone().unwrap().version;
    let registry = registry::Registry::new(db.store.clone(), db.artifacts());
    if !first.training.as_ref().unwrap().promoted {
        registry
            .transition(
                contracts::MODEL_NAME,
                v1,
                registry::Stage::Production,
                "test",
                "promoted by hand",
            )
            .await
            .unwrap();
        registry.announce(contracts::MODEL_NAME).await.unwrap();
    }
    until(
        "the service serves v1",
        Duration::from_secs(60),
        async || {
            let r = http
                .get(format!("{rest}/models/current"))
                .send()
                .await
                .ok()?;
            r.status().is_success().then_some(())
        },
    )
    .await;

    // Traffic: varied real products over REST (single and batch) and gRPC, a few bad requests; the first of each
    // transport continues the caller's trace.
    let products = sample_products(300);
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN}-01");
    for (i, (designation, description)) in products.iter().enumerate() {
        let mut r = http
            .post(format!("{rest}/predict"))
            .json(&serde_json::json!({"designation": designation, "description": description}));
        if i == 0 {
            r = r.header("traceparent", &traceparent);
        }
        assert!(r.send().await.unwrap().status().is_success());
    }
    predict_batch(&http, &rest, &products[..40]).await;
    for bad in [
        r#"{"designation": ""}"#,
        "not json",
        r#"{"description": "no title"}"#,
    ] {
        let r = http
            .post(format!("{rest}/predict"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
    }
    {
        use rakuten_proto::v1::PredictRequest;
        use rakuten_proto::v1::inference_service_client::InferenceServiceClient;
        let mut g = InferenceServiceClient::connect(grpc.clone()).await.unwrap();
        for (i, (designation, description)) in products[..50].iter().enumerate() {
            let mut request = tonic::Request::new(PredictRequest {
                designation: designation.clone(),
                description: description.clone(),
                ..Default::default()
            });
            if i == 0 {
                request
                    .metadata_mut()
                    .insert("traceparent", traceparent.parse().unwrap());
            }
            g.predict(request).await.unwrap();
        }
    }

    // Week 2: a live score of v1 on the new batch, a second version. A Training on a dataset that does not exist
    // fails (bad input). A drift check of the traffic.
    let second = support::run_workflow(
        &client,
        workflows::WeeklyIngest::run,
        week("week-2026-W49"),
        "ingest-w49",
    )
    .await
    .unwrap();
    assert!(second.live.is_some(), "{second:?}");
    let failed = support::run_workflow(
        &client,
        workflows::Training::run,
        TrainingInput {
            dataset_id: Some("ds-does-not-exist".into()),
            reason: "a training that fails".into(),
            run_key: None,
            options: quick.clone(),
        },
        "training-fails",
    )
    .await;
    assert!(failed.is_err());
    support::run_workflow(
        &client,
        workflows::DailyDrift::run,
        contracts::lifecycle::DailyDriftInput {
            training: quick.clone(),
            ..Default::default()
        },
        "drift-1",
    )
    .await
    .unwrap();

    // A shadow: the version not served scores a quarter of what Production answers (the default fraction).
    let current = models_current(&http, &rest).await.unwrap();
    let v2 = second.training.clone().unwrap().version;
    assert_ne!(v1, v2, "the second week trained another version");
    let v1_label = v1.to_string();
    let shadow = if current["version"] == v1_label {
        v2
    } else {
        v1
    };
    let shadow_label = shadow.to_string();
    registry
        .set_alias(
            contracts::MODEL_NAME,
            inference::shadow::ALIAS,
            shadow,
            "test",
        )
        .await
        .unwrap();
    registry.announce(contracts::MODEL_NAME).await.unwrap();
    let shadow_stats = async || -> Option<Value> {
        let r = models_current(&http, &rest).await?;
        (r["shadow"]["version"] == shadow_label).then(|| r["shadow"].clone())
    };
    until("the shadow loaded", Duration::from_secs(60), async || {
        shadow_stats().await
    })
    .await;
    predict_batch(&http, &rest, &products).await;
    let scored = until(
        "the shadow scored 75 of 300",
        Duration::from_secs(60),
        async || shadow_stats().await.filter(|s| s["scored"] == 75),
    )
    .await;
    assert!(
        scored["agreed"].as_u64().unwrap() < 75,
        "two versions disagree somewhere: {scored}"
    );

    // Prometheus has all of it once both targets were scraped at least twice, the last time after the last
    // thing happened.
    let done_at = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let mut ready: Vec<String> = ["rakuten-inference", "rakuten-worker"]
        .iter()
        .map(|job| {
            format!(
                "count_over_time(up{{job=\"{job}\"}}[5m]) >= 2 and timestamp(up{{job=\"{job}\"}}) > {done_at:.3}"
            )
        })
        .collect();
    // Counters born late (the shadow's) need two samples for rate() and increase().
    ready.push("count_over_time(rakuten_shadow_disagreements_total[5m]) >= 2".into());
    for expr in &ready {
        until(expr, Duration::from_secs(60), async || {
            let r = query(&http, &prometheus, expr).await.ok()?;
            (!r.is_empty()).then_some(())
        })
        .await;
    }

    // Every recording rule's expression returns data, its recorded series exists, and no rule fails to evaluate;
    // the failed training fires its alert.
    let rules: Value = http
        .get(format!("{prometheus}/api/v1/rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut recording = 0;
    let mut alerting = 0;
    for group in rules["data"]["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            assert_eq!(rule["health"], "ok", "{rule}");
            if rule["type"] == "recording" {
                recording += 1;
                let expr = rule["query"].as_str().unwrap();
                let name = rule["name"].as_str().unwrap();
                assert!(
                    !query(&http, &prometheus, expr).await.unwrap().is_empty(),
                    "recording rule {name}: {expr}: no data"
                );
                until(name, Duration::from_secs(30), async || {
                    let r = query(&http, &prometheus, name).await.ok()?;
                    (!r.is_empty()).then_some(())
                })
                .await;
            } else {
                alerting += 1;
            }
        }
    }
    assert!(
        recording >= 10 && alerting >= 12,
        "{recording} recording, {alerting} alerting"
    );
    // Every panel query of every dashboard returns data.
    let mut empty = Vec::new();
    let mut queries = 0;
    let mut dashboards = Vec::new();
    for entry in std::fs::read_dir(repo().join("dashboards")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let d: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut exprs = Vec::new();
        for panel in d["panels"].as_array().unwrap() {
            for t in panel["targets"].as_array().unwrap() {
                let expr = grafana_expr(t["expr"].as_str().unwrap());
                queries += 1;
                match query(&http, &prometheus, &expr).await {
                    Ok(r) if !r.is_empty() => {}
                    Ok(_) => empty.push(format!("{name} / {}: {expr}: no data", panel["title"])),
                    Err(e) => empty.push(format!("{name} / {}: {expr}: {e}", panel["title"])),
                }
                exprs.push((panel["title"].as_str().unwrap().to_string(), expr));
            }
        }
        dashboards.push((name, exprs));
    }
    assert!(dashboards.len() >= 3 && queries >= 30, "{queries} queries");
    if !empty.is_empty() {
        let names = query(
            &http,
            &prometheus,
            "count by (__name__, job) ({__name__=~\".+\"})",
        )
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| format!("{} {}", r["metric"]["job"], r["metric"]["__name__"]))
        .collect::<Vec<_>>();
        if let Some(pause) = std::env::var_os("RAKUTEN_TEST_PAUSE") {
            eprintln!("pausing: prometheus at {prometheus}");
            tokio::time::sleep(Duration::from_secs(
                pause.to_str().unwrap().parse().unwrap(),
            ))
            .await;
        }
        let log = std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        panic!(
            "panels without data:\n{}\nseries in Prometheus:\n{}\nprometheus.log (last lines first):\n{}",
            empty.join("\n"),
            names.join("\n"),
            tail.join("\n")
        );
    }

    until(
        "RakutenTrainingFailing firing",
        Duration::from_secs(30),
        async || {
            let alerts: Value = http
                .get(format!("{prometheus}/api/v1/alerts"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            alerts["data"]["alerts"]
                .as_array()?
                .iter()
                .any(|a| {
                    a["labels"]["alertname"] == "RakutenTrainingFailing" && a["state"] == "firing"
                })
                .then_some(())
        },
    )
    .await;

    // The control room, pointed at this Prometheus: its monitoring page lists the firing alert, and its
    // infrastructure page finds Prometheus ready and the inference service serving.
    let mut room_child = rakuten(
        &[
            "--json",
            "control-room",
            "--port",
            "0",
            "--inference-url",
            &rest,
            "--prometheus-url",
            &prometheus,
            "--temporal-address",
            &server.address,
        ],
        &dir.join("control-room.log"),
    )
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let room = support::first_json_line(&mut room_child)["http"]
        .as_str()
        .unwrap()
        .to_string();
    let _room = Process(Some(room_child));
    let monitoring = http.get(format!("{room}/monitoring")).send().await.unwrap();
    assert!(monitoring.status().is_success());
    let monitoring = monitoring.text().await.unwrap();
    let alert_row = monitoring
        .split("<tr>")
        .find(|row| row.contains("RakutenTrainingFailing"))
        .unwrap_or_else(|| panic!("no RakutenTrainingFailing row on /monitoring:\n{monitoring}"));
    assert!(alert_row.contains(">firing<"), "{alert_row}");
    let infra = http
        .get(format!("{room}/infrastructure"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for row_start in [
        format!("Prometheus {prometheus}"),
        format!("Inference service {rest}"),
    ] {
        let row = infra
            .split("<tr>")
            .find(|row| row.contains(&row_start))
            .unwrap_or_else(|| panic!("no {row_start} row on /infrastructure:\n{infra}"));
        assert!(row.contains(">ok<") || row.contains(">ready<"), "{row}");
    }

    if let Some(out) = std::env::var_os("RAKUTEN_DASHBOARD_SCREENSHOTS") {
        screenshots(Path::new(&out), &prometheus, &dashboards);
    }

    // Stop both gracefully: the exporters flush what they hold.
    assert!(serve.terminate().success());
    assert!(worker.terminate().success());
    let spans = receiver.spans();
    let children = |parent: &Received| -> BTreeSet<String> {
        spans
            .iter()
            .filter(|s| s.span.parent_span_id == parent.span.span_id)
            .map(|s| s.span.name.clone())
            .collect()
    };
    for (route, service) in [
        ("POST /predict", "rakuten-serve"),
        ("Predict", "rakuten-serve"),
    ] {
        let continued = spans
            .iter()
            .find(|s| s.span.name == route && hex(&s.span.trace_id) == TRACE_ID)
            .unwrap_or_else(|| panic!("a {route} span in the caller's trace"));
        assert_eq!(continued.service, service);
        assert_eq!(hex(&continued.span.parent_span_id), PARENT_SPAN);
        let expected: BTreeSet<String> = ["decode", "predict", "log_enqueue"]
            .map(String::from)
            .into();
        assert_eq!(children(continued), expected, "{route}");
    }
    let untraced = spans
        .iter()
        .filter(|s| s.span.name == "POST /predict" && hex(&s.span.trace_id) != TRACE_ID)
        .count();
    assert!(untraced >= 200, "one trace per request: {untraced}");
    assert!(spans.iter().any(|s| s.span.name == "POST /predict/batch"));
    let train = spans
        .iter()
        .find(|s| s.span.name == "activity train_model")
        .expect("a train_model activity span");
    assert_eq!(train.service, "rakuten-worker");

    assert_eq!(
        attribute(&train.span, "workflow.type").as_deref(),
        Some("Training")
    );
    assert!(
        attribute(&train.span, "workflow.id").is_some_and(|id| id.starts_with("training-")),
        "{:?}",
        train.span.attributes
    );
    assert!(attribute(&train.span, "workflow.run_id").is_some_and(|r| !r.is_empty()));
    let activity_spans: Vec<&Received> = spans
        .iter()
        .filter(|s| s.span.name.starts_with("activity "))
        .collect();
    let traces: BTreeSet<&[u8]> = activity_spans
        .iter()
        .map(|s| s.span.trace_id.as_slice())
        .collect();
    assert_eq!(
        traces.len(),
        activity_spans.len(),
        "one trace per activity execution"
    );
    let activities: BTreeSet<String> = activity_spans.iter().map(|s| s.span.name.clone()).collect();
    for a in [
        "load_batch",
        "build_dataset",
        "score_batch",
        "evaluate_model",
        "drift_check",
    ] {
        assert!(
            activities.contains(&format!("activity {a}")),
            "{activities:?}"
        );
    }

    // The worker's JSON logs: one object per line, the activity's span fields included.
    let log = std::fs::read_to_string(&worker_log).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["span"]["workflow.id"].is_string()
            && l["spans"].as_array().is_some_and(|s| !s.is_empty())),
        "a log line inside an activity span"
    );

    drop(server);
    db.cleanup().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// Prometheus's graph page with a dashboard's key queries, rendered by headless Chromium.
fn screenshots(out: &Path, prometheus: &str, dashboards: &[(String, Vec<(String, String)>)]) {
    std::fs::create_dir_all(out).unwrap();
    let chromium = which("chromium").expect("chromium (Debian package) for screenshots");
    for (name, exprs) in dashboards {
        let mut url = format!("{prometheus}/graph?");
        for (i, (_, expr)) in exprs.iter().take(3).enumerate() {
            let encoded: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
            url.push_str(&format!(
                "g{i}.expr={encoded}&g{i}.tab=0&g{i}.range_input=1m&g{i}.step_input=1&"
            ));
        }
        let png = out.join(name.replace(".json", ".png"));
        let status = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1200,1700",
                "--virtual-time-budget=8000",
            ])
            .arg(format!("--screenshot={}", png.display()))
            .arg(&url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "chromium for {name}");
    }
}
