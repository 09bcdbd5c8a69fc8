//! Bounded work and an orderly stop, on real servers (both transports on 127.0.0.1 port 0, a model trained on
//! the real sample): a flood past the bounds is refused at once while the work under them is served; SIGTERM's
//! drain turns the service not ready first, lets the requests in flight finish, and keeps its deadline.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/serving.rs"]
mod serving;

use std::time::Duration;

use inference::{Bounds, Limits, ServeConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use serving::{Server, promote, register, trained_models, wait_until};

/// A store with the sample's initial 40 % loaded and the first trained model in Production.
async fn serving_db() -> common::TestDb {
    let db = common::TestDb::sqlite().await;
    db.import_sample().await;
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    db
}

/// A batch that keeps the service busy: `n` real products, designation and description each grown to ~19,500
/// characters with other products' text (varied, not one body repeated).
fn heavy_batch(n: usize) -> Value {
    let rows = serving::sample_rows(400);
    let grown = |start: usize| {
        let mut text = String::new();
        let mut j = start;
        while text.len() < 19_000 {
            let (d, s) = &rows[j % rows.len()];
            text.push_str(d);
            text.push(' ');
            text.push_str(s);
            text.push(' ');
            j += 7;
        }
        text.truncate(text.floor_char_boundary(19_500));
        text
    };
    let items: Vec<Value> = (0..n)
        .map(|i| json!({ "designation": grown(i), "description": grown(i + 3) }))
        .collect();
    json!({ "items": items })
}

fn config(bounds: Bounds) -> ServeConfig {
    ServeConfig {
        limits: Limits {
            max_body_bytes: 128 * 1024 * 1024,
            max_batch_items: 2_048,
            ..Limits::default()
        },
        bounds,
        ..ServeConfig::default()
    }
}

/// Sends a heavy batch of `n` items and returns once the service has it in flight.
async fn start_heavy(
    server: &Server,
    n: usize,
) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let batch = heavy_batch(n);
    let url = server.url("/predict/batch");
    let client = server.client.clone();
    let heavy = tokio::spawn(async move { client.post(url).json(&batch).send().await });
    // Held, not only received: the items are taken after the body is parsed and validated.
    wait_until("the heavy batch's items in flight", || async {
        serving::sample_value(
            &server.text("/metrics").await,
            "rakuten_batch_items_in_flight",
        ) >= n as f64
    })
    .await;
    heavy
}

async fn in_flight(server: &Server) -> f64 {
    serving::sample_value(&server.text("/metrics").await, "rakuten_requests_in_flight")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_the_bounds_is_refused_at_once_and_the_rest_is_served() {
    let db = serving_db().await;
    let server = Server::start(
        &db,
        config(Bounds {
            max_in_flight: 2,
            max_batch_items_in_flight: 1_536,
            request_timeout: Duration::from_secs(60),
        }),
    )
    .await;
    server.wait_status("healthy").await;
    let rows = serving::sample_rows(60);

    // A heavy batch takes every batch item and one of the two request places (it runs for about a second on
    // this machine's two cores: the window the checks below fall in).
    let heavy = start_heavy(&server, 1_536).await;
    let seen = std::time::Instant::now();

    // Meanwhile: another batch finds no batch items left; a flood of 40 singles over REST and 40 over gRPC
    // finds one request place: refused at once (REST 503 + Retry-After, gRPC RESOURCE_EXHAUSTED) or served.
    let (status, body) = server
        .post(
            "/predict/batch",
            json!({"items": [{"designation": rows[0].0, "description": rows[0].1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error_type"], "overloaded");
    let rest_flood = rows[..40].iter().map(|(d, s)| {
        let r = server
            .client
            .post(server.url("/predict"))
            .json(&json!({"designation": d, "description": s}));
        async move {
            let r = r.send().await.unwrap();
            let retry_after = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (r.status(), retry_after, r.json::<Value>().await.unwrap())
        }
    });
    let grpc = server.grpc().await;
    let grpc_flood = rows[..40].iter().map(|(d, s)| {
        let mut g = grpc.clone();
        let request = rakuten_proto::v1::PredictRequest {
            designation: d.clone(),
            description: s.clone(),
            ..Default::default()
        };
        async move { g.predict(request).await.map(|_| ()).map_err(|s| s.code()) }
    });
    let (rest, grpc_answers) = tokio::join!(
        futures::future::join_all(rest_flood),
        futures::future::join_all(grpc_flood)
    );
    let mut refused = 0;
    let mut served = 0;
    for (status, retry_after, body) in &rest {
        match *status {
            StatusCode::OK => served += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["error_type"], "overloaded", "{body}");
                assert_eq!(retry_after.as_deref(), Some("1"));
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    for answer in &grpc_answers {
        match answer {
            Ok(()) => served += 1,
            Err(tonic::Code::ResourceExhausted) => refused += 1,
            Err(other) => panic!("gRPC {other:?}"),
        }
    }
    assert!(refused > 0, "a flood past the bound is refused");
    assert!(
        heavy.is_finished() || in_flight(&server).await <= 2.0,
        "never more than the bound in flight"
    );

    // The heavy batch is served in full, and once it is done a single prediction is again.
    let heavy = heavy.await.unwrap().unwrap();
    assert_eq!(heavy.status(), StatusCode::OK);
    eprintln!(
        "heavy batch answered {:?} after it was seen in flight",
        seen.elapsed()
    );
    let answer: Value = heavy.json().await.unwrap();
    assert_eq!(answer["predictions"].as_array().unwrap().len(), 1_536);
    server
        .post_ok(
            "/predict",
            &json!({"designation": rows[1].0, "description": rows[1].1}),
        )
        .await;
    let metrics = server.text("/metrics").await;
    assert!(
        metrics.contains("rakuten_api_errors_total{error_type=\"overloaded\"}"),
        "refusals are counted"
    );
    eprintln!("flood: {served} served, {refused} refused");
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_timeout_is_abandoned_with_503() {
    let db = serving_db().await;
    let server = Server::start(
        &db,
        config(Bounds {
            request_timeout: Duration::from_millis(1),
            ..Bounds::default()
        }),
    )
    .await;
    server.wait_status("healthy").await;
    // A heavy batch cannot be predicted in a millisecond.
    let (status, body) = server.post("/predict/batch", heavy_batch(256)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error_type"], "timeout");
    server.shutdown().await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_turns_not_ready_first_and_finishes_what_is_in_flight() {
    let db = serving_db().await;
    let server = Server::start(&db, config(Bounds::default())).await;
    server.wait_status("healthy").await;
    let (status, ready) = server.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(server.get("/livez").await.0, StatusCode::OK);
    assert_eq!(server.grpc_health("").await, 1, "SERVING");

    let heavy = start_heavy(&server, 1_024).await;

    // SIGTERM's drain: not ready at once (REST and gRPC health), alive, still answering during the delay.
    let Server { handle, client } = server;
    let http = handle.http_addr;
    let grpc_addr = handle.grpc_addr;
    let drain = tokio::spawn(handle.drain(Duration::from_secs(3), Duration::from_secs(60)));
    let readyz = format!("http://{http}/readyz");
    wait_until("not ready", || async {
        client.get(&readyz).send().await.unwrap().status() == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    let body: Value = client
        .get(&readyz)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["draining"], true, "{body}");
    assert_eq!(
        client
            .get(format!("http://{http}/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let probe = Server::grpc_health_at(grpc_addr, "").await;
    assert_eq!(probe, 2, "NOT_SERVING while draining");

    // What was in flight finishes; the drain ends without cutting anything; then nothing is accepted.
    let heavy = heavy.await.unwrap().unwrap();
    assert_eq!(heavy.status(), StatusCode::OK);
    let drained = drain.await.unwrap().unwrap();
    assert!(!drained.cut);
    assert!(client.get(&readyz).send().await.is_err(), "closed");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_keeps_its_deadline() {
    let db = serving_db().await;
    let server = Server::start(&db, config(Bounds::default())).await;
    server.wait_status("healthy").await;
    let _heavy = start_heavy(&server, 1_024).await;
    let drained = server
        .handle
        .drain(Duration::ZERO, Duration::from_millis(1))
        .await
        .unwrap();
    assert!(drained.cut, "the batch was still running at the deadline");
    db.cleanup().await;
}
