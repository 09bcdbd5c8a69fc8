//! The inference log off the request path: requests `try_send` into a bounded queue and never wait; one writer
//! task appends batches (up to `batch_rows`, or what arrived within `flush_interval`) to the database. A full
//! queue or a failed write (after one retry) drops rows, counted in `rakuten_inference_log_dropped_total` and
//! shown by `/health` as degraded. On shutdown the writer drains the queue before it returns.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use data::Store;
use data::inference::InferenceRecord;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy)]
pub struct LogConfig {
    pub queue_rows: usize,
    pub batch_rows: usize,
    pub flush_interval: Duration,
    /// One database write may take this long before it counts as failed.
    pub write_timeout: Duration,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            queue_rows: 20_000,
            batch_rows: 500,
            flush_interval: Duration::from_millis(200),
            write_timeout: Duration::from_secs(2),
        }
    }
}

/// How the log is doing (shared with `/health` and the metrics).
#[derive(Debug, Default)]
pub struct LogStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    /// Unix milliseconds of the last dropped row (0: never).
    pub last_drop_ms: AtomicI64,
    pub last_error: Mutex<Option<String>>,
}

/// What `/health` shows of the log.
#[derive(Debug, Serialize)]
pub struct LogHealth {
    pub written_rows: u64,
    pub dropped_rows: u64,
    pub queued_rows: usize,
    /// Rows were lost within the last [`RECENT_DROP`]: the database is slow or down.
    pub losing_rows: bool,
    pub last_error: Option<String>,
}

/// Rows dropped more recently than this make `/health` degraded.
pub const RECENT_DROP: Duration = Duration::from_secs(60);

impl LogStats {
    fn drop_rows(&self, n: usize) {
        self.dropped.fetch_add(n as u64, Ordering::Relaxed);
        self.last_drop_ms
            .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    pub fn losing_rows(&self) -> bool {
        let last = self.last_drop_ms.load(Ordering::Relaxed);
        last > 0 && Utc::now().timestamp_millis() - last < RECENT_DROP.as_millis() as i64
    }
}

/// The request side: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct InferenceLog {
    tx: mpsc::Sender<InferenceRecord>,
    stats: Arc<LogStats>,
}

impl InferenceLog {
    pub fn push(&self, record: InferenceRecord) {
        if self.tx.try_send(record).is_err() {
            self.stats.drop_rows(1);
        }
    }

    pub fn stats(&self) -> &Arc<LogStats> {
        &self.stats
    }

    pub fn health(&self) -> LogHealth {
        LogHealth {
            written_rows: self.stats.written.load(Ordering::Relaxed),
            dropped_rows: self.stats.dropped.load(Ordering::Relaxed),
            queued_rows: self.tx.max_capacity() - self.tx.capacity(),
            losing_rows: self.stats.losing_rows(),
            last_error: self.stats.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }
}

/// Starts the writer; it drains the queue and returns once `stop` turns true.
pub fn start(
    store: Store,
    config: LogConfig,
    stop: watch::Receiver<bool>,
) -> (InferenceLog, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(config.queue_rows.max(1));
    let stats = Arc::new(LogStats::default());
    let writer = Writer {
        store,
        config,
        stats: stats.clone(),
    };
    let task = tokio::spawn(writer.run(rx, stop));
    (InferenceLog { tx, stats }, task)
}

struct Writer {
    store: Store,
    config: LogConfig,
    stats: Arc<LogStats>,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<InferenceRecord>, mut stop: watch::Receiver<bool>) {
        let batch = self.config.batch_rows.max(1);
        let mut buf = Vec::with_capacity(batch);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut buf, batch) => if n == 0 { break },
                _ = super::stop_requested(&mut stop) => break,
            }
            // Gather what else arrives within the flush interval, up to a full batch.
            let deadline = tokio::time::Instant::now() + self.config.flush_interval;
            while buf.len() < batch {
                let room = batch - buf.len();
                tokio::select! {
                    n = rx.recv_many(&mut buf, room) => if n == 0 { break },
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = super::stop_requested(&mut stop) => break,
                }
            }
            self.write(&mut buf).await;
        }
        // Shutting down: no more rows come in; write what is queued.
        rx.close();
        loop {
            if buf.is_empty() && rx.recv_many(&mut buf, batch).await == 0 {
                break;
            }
            self.write(&mut buf).await;
        }
    }

    async fn write(&self, buf: &mut Vec<InferenceRecord>) {
        if buf.is_empty() {
            return;
        }
        let mut error = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            match tokio::time::timeout(
                self.config.write_timeout,
                self.store.append_inference_log(buf),
            )
            .await
            {
                Ok(Ok(_)) => {
                    self.stats
                        .written
                        .fetch_add(buf.len() as u64, Ordering::Relaxed);
                    if let Ok(mut e) = self.stats.last_error.lock() {
                        *e = None;
                    }
                    buf.clear();
                    return;
                }
                Ok(Err(e)) => error = e.to_string(),
                Err(_) => error = format!("write timed out after {:?}", self.config.write_timeout),
            }
        }
        tracing::warn!(rows = buf.len(), %error, "inference log rows dropped");
        self.stats.drop_rows(buf.len());
        if let Ok(mut e) = self.stats.last_error.lock() {
            *e = Some(error);
        }
        buf.clear();
    }
}
