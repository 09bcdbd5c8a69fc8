//! `rakuten serve` and `rakuten data export-inference-log` as a user runs them: the real binary, its JSON and
//! its signals. (The service itself is tested in `services/inference/tests`.)

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;

use reqwest::StatusCode;
use serde_json::Value;

fn rakuten(db: &common::TestDb) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rakuten"));
    c.env("RAKUTEN_DATABASE_URL", &db.url)
        .env("RAKUTEN_ARTIFACTS", db.dir.path().join("artifacts"))
        .env("RAKUTEN_ACTOR", "test")
        .env("RAKUTEN_LOG_JOURNAL_DIR", db.dir.path().join("journal"));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_inference_log_writes_the_original_csv() {
    use chrono::{Duration, Utc};
    let db = common::TestDb::sqlite().await;
    let now = Utc::now();
    let records: Vec<_> = (0..3i64)
        .map(|i| {
            data::inference::InferenceRecord::new(
                format!("p-{i}"),
                now - Duration::minutes(10 * i),
                ("rakuten_classifier", "4"),
                &format!("Livre, \"poche\" {i}"),
                "<p>deux\nlignes</p>",
                (i > 0).then_some(i),
                2705,
                0.5,
                0.25,
            )
        })
        .collect();
    db.store.append_inference_log(&records).await.unwrap();
    let out = db.dir.path().join("log.csv");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "data",
            "export-inference-log",
            "--csv",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        rakuten(&db).args(&args).output().unwrap()
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["rows"], 3);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "timestamp,prediction_id,model_version,designation,description,imageid,predicted_class,confidence,text_len_chars,latency_ms"
    );
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    // Oldest first; text with commas, quotes and newlines survives; a missing imageid is empty.
    assert_eq!(&rows[0][1], "p-2");
    assert_eq!(&rows[2][1], "p-0");
    assert_eq!(&rows[0][3], "Livre, \"poche\" 2");
    assert_eq!(&rows[0][4], "<p>deux\nlignes</p>");
    assert_eq!(&rows[0][5], "2");
    assert_eq!(&rows[2][5], "");
    assert_eq!(&rows[2][2], "4");
    assert_eq!(&rows[2][6], "2705");
    assert_eq!(
        rows[2][8].parse::<i64>().unwrap(),
        records[0].text_len_chars
    );
    assert!(chrono::DateTime::parse_from_rfc3339(&rows[2][0]).is_ok());

    // A window: only the last 5 minutes.
    assert!(run(&["--since", "5m"]).status.success());
    let rows = csv::Reader::from_path(&out).unwrap().records().count();
    assert_eq!(rows, 1);
    assert_eq!(run(&["--since", "soon"]).status.code(), Some(2));
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rakuten_serve_prints_its_addresses_and_stops_on_sigterm() {
    let db = common::TestDb::sqlite().await;
    let (mut child, addresses) = serve(&db);
    let http = addresses["http"].as_str().unwrap();
    assert!(
        addresses["grpc"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let r = reqwest::get(format!("{http}/health")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Value = r.json().await.unwrap();
    assert_eq!(health["status"], "unhealthy");
    let openapi: Value = reqwest::get(format!("{http}/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.0.3");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status}");
    db.cleanup().await;
}

/// `rakuten serve` started in the background; its addresses from the `--json` line.
fn serve(db: &common::TestDb) -> (std::process::Child, Value) {
    use std::io::BufRead;
    let mut child = rakuten(db)
        .args(["--json", "serve", "--http-port", "0", "--grpc-port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

async fn health_until(http: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let start = std::time::Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{http}/health")).await
            && let Ok(h) = r.json::<Value>().await
        {
            if check(&h) {
                return h;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(90),
                "timed out waiting for {what}; last health: {h}"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The process is SIGKILLed while every logged row waits in its journal (SQLite's write lock is held by another
/// connection); the next `rakuten serve` on the same folder replays them: every row arrives, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_journaled_by_a_killed_server_arrive_once_after_restart() {
    use sqlx::Connection;
    let db = common::TestDb::sqlite().await;
    let model = db.dir.path().join("model");
    let sample = common::sample_csv();
    for args in [
        vec![
            "model",
            "train",
            "--data",
            sample.to_str().unwrap(),
            "--out",
            model.to_str().unwrap(),
        ],
        vec!["data", "import", "--csv", sample.to_str().unwrap()],
        vec![
            "models",
            "register",
            "--model-dir",
            model.to_str().unwrap(),
            "--promote",
        ],
    ] {
        let o = rakuten(&db).args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let (mut first, addresses) = serve(&db);
    let http = addresses["http"].as_str().unwrap().to_string();
    health_until(&http, "healthy", |h| h["status"] == "healthy").await;

    let mut locker = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut locker)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let n = 300;
    for i in 0..n {
        let body = serde_json::json!({"designation": format!("Livre de poche numéro {i}")});
        let r = client
            .post(format!("{http}/predict"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // All of them in the journal (the writes that waited for the lock went there after the timeout).
    health_until(&http, "every row journaled", |h| {
        h["inference_log"]["journal"]["journaled_rows"].as_u64() == Some(n)
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .unwrap();
    drop(locker);

    let (mut second, addresses) = serve(&db);
    let http = addresses["http"].as_str().unwrap().to_string();
    let h = health_until(&http, "the journal replayed", |h| {
        h["inference_log"]["ready"] == true && h["inference_log"]["journal"]["segments"] == 0
    })
    .await;
    assert!(
        h["inference_log"]["journal"]["replayed_rows"].as_u64() > Some(0),
        "{h}"
    );
    let count = db
        .store
        .count("SELECT COUNT(*) FROM inference_log")
        .await
        .unwrap();
    assert_eq!(count, n as i64, "every row once");
    let distinct = db
        .store
        .count("SELECT COUNT(DISTINCT prediction_id) FROM inference_log")
        .await
        .unwrap();
    assert_eq!(distinct, n as i64);
    second.kill().unwrap();
    second.wait().unwrap();
    db.cleanup().await;
}
