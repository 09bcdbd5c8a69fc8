//! The inference log through database outages: rows the database cannot take go to the local journal and
//! arrive once it answers again, none lost and none twice; a journal left by a killed process is replayed at
//! start (its torn last record skipped); a full journal drops and counts. Outages are real: a TCP proxy in
//! front of PostgreSQL that refuses and cuts connections, and SQLite's write lock held by another connection.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/serving.rs"]
mod serving;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use data::LoadRequest;
use data::inference::InferenceRecord;
use inference::journal::{Journal, JournalConfig};
use inference::{JournalSettings, LogConfig, ServeConfig};
use registry::Registry;
use serde_json::json;
use serving::{Server, promote, register, sample_rows, trained_models, wait_until};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A TCP proxy to PostgreSQL that can be cut: while down it closes every accepted connection at once and has
/// cut every open one, as a stopped server would.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, up_rx) = watch::channel(true);
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !*up_rx.borrow() {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let mut up = up_rx.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    // As a direct connection would: no Nagle delay on either side.
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = up.wait_for(|u| !*u) => {}
                    }
                });
            }
        });
        Proxy { port, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

fn journal(dir: &std::path::Path, max_bytes: u64) -> LogConfig {
    let small = small_segments(dir);
    LogConfig {
        journal: Some(JournalSettings {
            max_bytes,
            segment_bytes: small.segment_bytes,
            dir: small.dir,
        }),
        ..LogConfig::default()
    }
}

/// Clients posting varied real products until `stop`; the count of 200 answers.
fn load(
    server: &Server,
    clients: usize,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<u64>> {
    let rows = Arc::new(sample_rows(2_000));
    (0..clients)
        .map(|c| {
            let (client, url, rows, stop) = (
                server.client.clone(),
                server.url("/predict"),
                rows.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut ok = 0u64;
                let mut i = c;
                // Bounded in count and time, whatever happens.
                let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed)
                    && ok < 200_000
                    && tokio::time::Instant::now() < deadline
                {
                    let (designation, description) = &rows[i % rows.len()];
                    i += clients;
                    let r = client
                        .post(&url)
                        .json(&json!({"designation": designation, "description": description}))
                        .send()
                        .await
                        .unwrap();
                    if r.status() == 200 {
                        ok += 1;
                    }
                }
                ok
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_logged_through_a_postgres_outage() {
    let own = serving::own_pg_database().await;
    let (v1, _) = trained_models();
    promote(&own.db, register(&own.db, v1).await).await;
    let base = common::pg_url();
    let server_addr = base
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("127.0.0.1:5432")
        .to_string();
    let proxy = Proxy::start(server_addr.clone()).await;
    let proxied_url = base
        .replacen(&server_addr, &format!("127.0.0.1:{}", proxy.port), 1)
        .rsplit_once('/')
        .map(|(server, _)| format!("{server}/{}", own.name()))
        .unwrap();
    let store = data::Store::connect(&proxied_url).await.unwrap();
    let registry = Registry::new(store.clone(), own.db.artifacts());
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig {
        log: journal(dir.path(), 256 << 20),
        ..ServeConfig::default()
    };
    let server = Server::start_with(store, registry, config).await;
    server.wait_status("healthy").await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&server, 8, stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await; // load before the outage
    proxy.set(false);
    let during = server
        .wait_for_health(|h| h["inference_log"]["journal"]["bytes"].as_u64() > Some(0))
        .await;
    assert_eq!(during["status"], "degraded", "{during}");
    tokio::time::sleep(Duration::from_secs(10)).await; // the outage
    proxy.set(true);
    tokio::time::sleep(Duration::from_secs(1)).await; // load after it
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for c in clients {
        answered += c.await.unwrap();
    }
    assert!(answered > 1_000, "only {answered} answers");

    // Every 200 is a row, once; nothing dropped; healthy again once the journal is replayed.
    let health = server.wait_status("healthy").await;
    let direct = &own.db.store;
    wait_until("every answer in the inference log", || async {
        direct
            .count("SELECT COUNT(*) FROM inference_log")
            .await
            .unwrap()
            == answered as i64
    })
    .await;
    let distinct = direct
        .count("SELECT COUNT(DISTINCT prediction_id) FROM inference_log")
        .await
        .unwrap();
    assert_eq!(distinct, answered as i64);
    let log = &health["inference_log"];
    assert_eq!(log["dropped_rows"], 0, "{health}");
    assert!(
        log["journal"]["journaled_rows"].as_u64() > Some(0),
        "{health}"
    );
    assert_eq!(
        log["journal"]["journaled_rows"],
        log["journal"]["replayed_rows"]
    );
    assert_eq!(log["journal"]["segments"], 0);
    let metrics = server.text("/metrics").await;
    assert!(serving::sample_value(&metrics, "rakuten_inference_log_replayed_total") > 0.0);
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_inference_log_journal_bytes"),
        0.0
    );
    server.shutdown().await;
    own.drop_database().await;
}

/// A SQLite database whose Production model is the first sample model.
async fn sqlite_serving_v1() -> common::TestDb {
    let db = common::TestDb::sqlite().await;
    let (v1, _) = trained_models();
    promote(&db, register(&db, v1).await).await;
    db
}

fn small_segments(dir: &std::path::Path) -> JournalConfig {
    JournalConfig {
        segment_bytes: 64 * 1024,
        ..JournalConfig::new(dir)
    }
}

fn record(i: usize) -> InferenceRecord {
    InferenceRecord::new(
        format!("left-{i:05}"),
        Utc::now() - chrono::Duration::minutes(1),
        ("rakuten_classifier", "1"),
        &format!("Livre de poche {i}"),
        "",
        None,
        2705,
        0.5,
        0.2,
    )
}

/// What a SIGKILLed process leaves: full segments and a last record cut in the middle of its write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_left_by_a_killed_process_is_replayed_once_at_start() {
    let db = sqlite_serving_v1().await;
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..1_000).map(record).collect();
    {
        let (mut j, _) = Journal::<InferenceRecord>::open(small_segments(dir.path())).unwrap();
        assert_eq!(j.append(&rows).unwrap().written, 1_000);
        assert!(j.segments() > 1, "several segments");
    }
    // The last record is torn: its process died in the middle of the write.
    let mut segments: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segments.sort();
    let last = segments.last().unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(last)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    // And the first segment had already reached the database before the kill (commit, then no delete).
    let (first_segment_rows, _) = {
        let (mut j, report) = Journal::<InferenceRecord>::open(small_segments(dir.path())).unwrap();
        assert_eq!(report.torn_records, 1);
        let s = j.take_oldest().unwrap().unwrap();
        (s.records, report)
    };
    db.store
        .append_inference_log(&first_segment_rows)
        .await
        .unwrap();

    let config = ServeConfig {
        log: journal(dir.path(), 256 << 20),
        ..ServeConfig::default()
    };
    let server = Server::start(&db, config).await;
    let health = server.wait_status("healthy").await;
    assert_eq!(health["inference_log"]["ready"], true);
    assert_eq!(
        health["inference_log"]["journal"]["segments"], 0,
        "{health}"
    );
    // Every record but the torn one, and none twice.
    let count = db
        .store
        .count("SELECT COUNT(*) FROM inference_log")
        .await
        .unwrap();
    assert_eq!(count, 999);
    let torn = db
        .store
        .count("SELECT COUNT(*) FROM inference_log WHERE prediction_id = 'left-00999'")
        .await
        .unwrap();
    assert_eq!(torn, 0, "the torn record is skipped, not replayed");
    server.shutdown().await;
    db.cleanup().await;
}

/// SQLite's write lock held by another connection (a long load does this) is an outage too; a journal that
/// fills up drops rows, counts them and says so, and what it holds arrives once the lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_journal_drops_and_counts_while_sqlite_is_locked() {
    let db = sqlite_serving_v1().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig {
        log: LogConfig {
            write_timeout: Duration::from_millis(300),
            ..journal(dir.path(), 128 * 1024)
        },
        ..ServeConfig::default()
    };
    let server = Server::start(&db, config).await;
    server.wait_status("healthy").await;

    // Another connection takes the write lock and keeps it.
    use sqlx::Connection;
    let mut locker = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut locker)
        .await
        .unwrap();

    let rows = sample_rows(1_500);
    let answered = AtomicU64::new(0);
    for (designation, description) in &rows {
        server
            .post_ok(
                "/predict",
                &json!({"designation": designation, "description": description}),
            )
            .await;
        answered.fetch_add(1, Ordering::Relaxed);
    }
    let full = server
        .wait_for_health(|h| h["inference_log"]["dropped_rows"].as_u64() > Some(0))
        .await;
    assert_eq!(full["status"], "degraded");
    assert_eq!(full["inference_log"]["losing_rows"], true);
    let journal_bytes = full["inference_log"]["journal"]["bytes"].as_u64().unwrap();
    assert!(journal_bytes > 0 && journal_bytes <= 128 * 1024, "{full}");

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .unwrap();
    drop(locker);
    let after = server
        .wait_for_health(|h| h["inference_log"]["journal"]["segments"] == 0)
        .await;
    let dropped = after["inference_log"]["dropped_rows"].as_u64().unwrap();
    // Every answer is either in the log or counted as dropped: nothing vanishes silently. (A write that timed
    // out waiting for the lock is still queued in SQLite's connection and lands once the lock goes, though the
    // full journal refused its rows and counted them dropped: the count is an upper bound.)
    let answered = answered.load(Ordering::Relaxed);
    let logged = || async {
        db.store
            .count("SELECT COUNT(*) FROM inference_log")
            .await
            .unwrap() as u64
    };
    wait_until("every answer logged or counted as dropped", || async {
        logged().await + dropped >= answered
    })
    .await;
    let logged = logged().await;
    assert!(logged <= answered, "{logged} of {answered} logged: {after}");
    assert!(dropped > 0 && dropped < answered, "{after}");
    let metrics = server.text("/metrics").await;
    assert_eq!(
        serving::sample_value(&metrics, "rakuten_inference_log_dropped_total") as u64,
        dropped
    );
    server.shutdown().await;
    db.cleanup().await;
}

/// The embedded default through an ingest: serving on SQLite (WAL, a busy timeout, the journal of `rakuten
/// serve`'s defaults) while a pool of 84,916 generated rows is imported and loaded in batches, each a long
/// write transaction holding SQLite's write lock; every answer is logged, none dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serving_through_imports_and_loads_on_sqlite_drops_nothing() {
    let db = sqlite_serving_v1().await;
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig {
        log: LogConfig {
            journal: Some(JournalSettings::new(dir.path().join("journal"))),
            ..LogConfig::default()
        },
        ..ServeConfig::default()
    };
    let server = Server::start(&db, config).await;
    server.wait_status("healthy").await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&server, 4, stop.clone());

    // The ingest, as `rakuten data import` and `rakuten data load` run it, on the same database file.
    let generated = data::generate::generate(84_916, data::plan::DEFAULT_SEED);
    let (x_train, y_train) =
        data::generate::write_challenge_files(&dir.path().join("pool"), &generated).unwrap();
    let started = std::time::Instant::now();
    db.store
        .import(
            &data::SourceFiles::Challenge { x_train, y_train },
            &Default::default(),
        )
        .await
        .unwrap();
    let import_took = started.elapsed();
    db.store
        .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
        .await
        .unwrap();
    for week in 0..5 {
        db.store
            .load(
                &LoadRequest::Increment { percent: 3.0 },
                &format!("week-{week}"),
                "test",
            )
            .await
            .unwrap();
    }
    let ingest_took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0;
    for c in clients {
        answered += c.await.unwrap();
    }
    assert!(answered > 100, "traffic ran through the ingest: {answered}");
    let logged = || async {
        db.store
            .count("SELECT COUNT(*) FROM inference_log")
            .await
            .unwrap() as u64
    };
    let dropped = || async {
        serving::sample_value(
            &server.text("/metrics").await,
            "rakuten_inference_log_dropped_total",
        ) as u64
    };
    wait_until("every answer logged or counted as dropped", || async {
        logged().await + dropped().await >= answered
    })
    .await;
    let (logged, dropped) = (logged().await, dropped().await);
    println!(
        "{answered} answers during an ingest of {:.1} s (import {:.1} s): {logged} logged, {dropped} dropped",
        ingest_took.as_secs_f64(),
        import_took.as_secs_f64()
    );
    assert_eq!(dropped, 0, "no row dropped");
    assert_eq!(logged, answered, "every answer logged once");
    server.shutdown().await;
    db.cleanup().await;
}
