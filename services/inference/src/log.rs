//! The inference log off the request path. Requests `try_send` into a bounded queue and never wait. Behind it:
//!
//! - the **drainer** task takes batches (up to `batch_rows`, or what arrived within `flush_interval`) and hands
//!   each to the database writer, or, when the database is behind or down (its hand-off channel is full, or
//!   the journal already holds rows), appends it to the local **journal** ([`crate::journal`]) instead, so the
//!   queue keeps moving whatever the database does;
//! - the **database writer** appends batches (`append_inference_log`, idempotent by prediction id) within
//!   `write_timeout`; a batch that fails or times out goes to the journal;
//! - the **replayer** writes the journal's segments to the database oldest first, deleting each once committed,
//!   retrying with backoff while the database does not answer. At start it replays what an earlier process left
//!   (a SIGKILL included) before the log reports `ready`.
//!
//! Rows are lost only when the journal is off (`journal: None`) or full (`max_bytes`): counted in
//! `rakuten_inference_log_dropped_total` and shown by `/health` as degraded for [`RECENT_DROP`]. On shutdown the
//! drainer empties the queue, the database writer its batches; what the database did not take stays in the
//! journal (flushed to disk) for the next start.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use data::Store;
use data::inference::InferenceRecord;
use serde::Serialize;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use crate::journal::{FsyncPolicy, Journal, JournalConfig};

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub queue_rows: usize,
    pub batch_rows: usize,
    pub flush_interval: Duration,
    /// One database write may take this long before its batch goes to the journal.
    pub write_timeout: Duration,
    /// The local journal; `None`: rows the database cannot take are dropped.
    pub journal: Option<JournalSettings>,
}

/// Where the journal lives and how big it may grow.
#[derive(Debug, Clone)]
pub struct JournalSettings {
    pub dir: PathBuf,
    /// Bytes of all segments together; past it rows are dropped and counted.
    pub max_bytes: u64,
    pub segment_bytes: u64,
}

impl JournalSettings {
    pub fn new(dir: impl Into<PathBuf>) -> JournalSettings {
        let defaults = JournalConfig::default();
        JournalSettings {
            dir: dir.into(),
            max_bytes: defaults.max_bytes,
            segment_bytes: defaults.segment_bytes,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            queue_rows: 20_000,
            batch_rows: 500,
            flush_interval: Duration::from_millis(200),
            write_timeout: Duration::from_secs(2),
            journal: None,
        }
    }
}

/// How the log is doing (shared with `/health` and the metrics).
#[derive(Debug, Default)]
pub struct LogStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    /// Rows appended to the journal, and rows replayed from it into the database.
    pub journaled: AtomicU64,
    pub replayed: AtomicU64,
    /// The journal now: bytes and segment files on disk.
    pub journal_bytes: AtomicU64,
    pub journal_segments: AtomicU64,
    /// False until what an earlier process left in the journal has been replayed.
    pub ready: AtomicBool,
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
    /// Rows were lost within the last [`RECENT_DROP`] (journal off or full).
    pub losing_rows: bool,
    /// Rows waiting in the journal for the database (it is down or catching up).
    pub journal: Option<JournalHealth>,
    /// False while the journal an earlier process left is being replayed.
    pub ready: bool,
    pub last_error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JournalHealth {
    pub dir: String,
    pub bytes: u64,
    pub segments: u64,
    pub max_bytes: u64,
    pub journaled_rows: u64,
    pub replayed_rows: u64,
}

/// Rows dropped more recently than this make `/health` degraded.
pub const RECENT_DROP: Duration = Duration::from_secs(60);

impl LogStats {
    fn drop_rows(&self, n: usize) {
        if n == 0 {
            return;
        }
        self.dropped.fetch_add(n as u64, Ordering::Relaxed);
        self.last_drop_ms
            .store(Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    pub fn losing_rows(&self) -> bool {
        let last = self.last_drop_ms.load(Ordering::Relaxed);
        last > 0 && Utc::now().timestamp_millis() - last < RECENT_DROP.as_millis() as i64
    }

    fn set_error(&self, error: Option<String>) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = error;
        }
    }
}

/// The request side: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct InferenceLog {
    tx: mpsc::Sender<InferenceRecord>,
    stats: Arc<LogStats>,
    journal: Option<JournalSettings>,
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
        let s = &self.stats;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        LogHealth {
            written_rows: load(&s.written),
            dropped_rows: load(&s.dropped),
            queued_rows: self.tx.max_capacity() - self.tx.capacity(),
            losing_rows: s.losing_rows(),
            journal: self.journal.as_ref().map(|j| JournalHealth {
                dir: j.dir.display().to_string(),
                bytes: load(&s.journal_bytes),
                segments: load(&s.journal_segments),
                max_bytes: j.max_bytes,
                journaled_rows: load(&s.journaled),
                replayed_rows: load(&s.replayed),
            }),
            ready: s.ready.load(Ordering::Relaxed),
            last_error: s.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Rows wait in the journal: the database is down or catching up.
    pub fn behind(&self) -> bool {
        self.stats.journal_segments.load(Ordering::Relaxed) > 0
    }
}

/// Opens the journal (reading what an earlier process left), starts the drainer, the database writer and the
/// replayer; the returned task ends once `stop` turns true and everything queued is written or journaled.
pub async fn start(
    store: Store,
    config: LogConfig,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<(InferenceLog, JoinHandle<()>)> {
    let stats = Arc::new(LogStats::default());
    let journal = match &config.journal {
        Some(settings) => {
            let journal_config = JournalConfig {
                dir: settings.dir.clone(),
                segment_bytes: settings.segment_bytes,
                max_bytes: settings.max_bytes,
                fsync: FsyncPolicy::OnSeal,
            };
            let (journal, report) = tokio::task::spawn_blocking(move || {
                Journal::<InferenceRecord>::open(journal_config)
            })
            .await??;
            if report.records > 0 || report.torn_records > 0 {
                tracing::info!(
                    dir = %settings.dir.display(),
                    segments = report.segments,
                    rows = report.records,
                    torn = report.torn_records,
                    "inference log journal left by an earlier process: replaying it"
                );
            }
            Some(Arc::new(Mutex::new(journal)))
        }
        None => None,
    };
    let journal = journal.map(|j| Shared {
        journal: j,
        stats: stats.clone(),
    });
    if let Some(j) = &journal {
        j.publish(&j.lock());
    }
    stats.ready.store(
        journal.as_ref().is_none_or(|j| j.is_empty()),
        Ordering::Relaxed,
    );

    let (tx, rx) = mpsc::channel(config.queue_rows.max(1));
    // Two batches in flight to the database at most: beyond that the database is behind, and batches go to the
    // journal rather than backing the queue up.
    let (db_tx, db_rx) = mpsc::channel::<Vec<InferenceRecord>>(2);
    let wake_replayer = Arc::new(Notify::new());
    let writer = DbWriter {
        store: store.clone(),
        timeout: config.write_timeout,
        stats: stats.clone(),
        journal: journal.clone(),
        wake_replayer: wake_replayer.clone(),
    };
    let db_task = tokio::spawn(writer.run(db_rx));
    let replayer = journal.clone().map(|journal| {
        let r = Replayer {
            store,
            timeout: config.write_timeout,
            batch_rows: config.batch_rows.max(1),
            journal,
            wake: wake_replayer,
        };
        tokio::spawn(r.run(stop.clone()))
    });
    let drainer = Drainer {
        batch_rows: config.batch_rows.max(1),
        flush_interval: config.flush_interval,
        journal,
        stats: stats.clone(),
    };
    let task = tokio::spawn(async move {
        drainer.run(rx, db_tx, stop).await;
        let _ = db_task.await;
        if let Some(r) = replayer {
            let _ = r.await;
        }
    });
    Ok((
        InferenceLog {
            tx,
            stats,
            journal: config.journal,
        },
        task,
    ))
}

/// The journal and the counters it updates; every file operation runs on the blocking pool.
#[derive(Clone)]
struct Shared {
    journal: Arc<Mutex<Journal<InferenceRecord>>>,
    stats: Arc<LogStats>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Journal<InferenceRecord>> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Rows wait in the journal, as last published: a lock-free read for the async tasks (the replayer holds
    /// the lock while it reads a whole segment, which must not stall a runtime thread).
    fn has_rows(&self) -> bool {
        self.stats.journal_segments.load(Ordering::Relaxed) > 0
    }

    /// Copies the journal's size into the counters: after every change, under the lock that made it (on the
    /// blocking pool).
    fn publish(&self, j: &Journal<InferenceRecord>) {
        let (bytes, segments) = if j.is_empty() {
            (0, 0)
        } else {
            (j.pending_bytes(), j.segments() as u64)
        };
        self.stats.journal_bytes.store(bytes, Ordering::Relaxed);
        self.stats
            .journal_segments
            .store(segments, Ordering::Relaxed);
    }

    /// Appends `rows`; what does not fit (or cannot be written) is dropped and counted.
    async fn append(&self, rows: Vec<InferenceRecord>) {
        let this = self.clone();
        let n = rows.len();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut j = this.lock();
            let outcome = j.append(&rows);
            this.publish(&j);
            outcome
        })
        .await;
        match outcome {
            Ok(Ok(o)) => {
                self.stats
                    .journaled
                    .fetch_add(o.written as u64, Ordering::Relaxed);
                if o.dropped > 0 {
                    tracing::warn!(rows = o.dropped, "inference log journal full: rows dropped");
                    self.stats.drop_rows(o.dropped);
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(rows = n, error = %e, "inference log journal write failed: rows dropped");
                self.stats.drop_rows(n);
                self.stats.set_error(Some(format!("journal: {e}")));
            }
            Err(e) => {
                self.stats.drop_rows(n);
                self.stats.set_error(Some(format!("journal: {e}")));
            }
        }
    }
}

struct Drainer {
    batch_rows: usize,
    flush_interval: Duration,
    journal: Option<Shared>,
    stats: Arc<LogStats>,
}

impl Drainer {
    async fn run(
        self,
        mut rx: mpsc::Receiver<InferenceRecord>,
        db: mpsc::Sender<Vec<InferenceRecord>>,
        mut stop: watch::Receiver<bool>,
    ) {
        let batch = self.batch_rows;
        let mut buf = Vec::with_capacity(batch);
        loop {
            tokio::select! {
                n = rx.recv_many(&mut buf, batch) => if n == 0 { break },
                _ = crate::stop_requested(&mut stop) => break,
            }
            // Gather what else arrives within the flush interval, up to a full batch.
            let deadline = tokio::time::Instant::now() + self.flush_interval;
            while buf.len() < batch {
                let room = batch - buf.len();
                tokio::select! {
                    n = rx.recv_many(&mut buf, room) => if n == 0 { break },
                    _ = tokio::time::sleep_until(deadline) => break,
                    _ = crate::stop_requested(&mut stop) => break,
                }
            }
            self.hand_off(std::mem::replace(&mut buf, Vec::with_capacity(batch)), &db)
                .await;
        }
        // Shutting down: no more rows come in; hand off what is queued.
        rx.close();
        loop {
            if buf.is_empty() && rx.recv_many(&mut buf, batch).await == 0 {
                break;
            }
            self.hand_off(std::mem::replace(&mut buf, Vec::with_capacity(batch)), &db)
                .await;
        }
    }

    async fn hand_off(&self, rows: Vec<InferenceRecord>, db: &mpsc::Sender<Vec<InferenceRecord>>) {
        if rows.is_empty() {
            return;
        }
        match &self.journal {
            // Without a journal the queue waits for the database (and drops when it is full).
            None => {
                if let Err(e) = db.send(rows).await {
                    self.stats.drop_rows(e.0.len());
                }
            }
            // Rows already wait in the journal: these go behind them, so the replayer catches up in order.
            Some(j) if j.has_rows() => j.append(rows).await,
            Some(j) => {
                if let Err(e) = db.try_send(rows) {
                    let (mpsc::error::TrySendError::Full(rows)
                    | mpsc::error::TrySendError::Closed(rows)) = e;
                    j.append(rows).await;
                }
            }
        }
    }
}

struct DbWriter {
    store: Store,
    timeout: Duration,
    stats: Arc<LogStats>,
    journal: Option<Shared>,
    wake_replayer: Arc<Notify>,
}

impl DbWriter {
    async fn run(self, mut rx: mpsc::Receiver<Vec<InferenceRecord>>) {
        while let Some(rows) = rx.recv().await {
            let error = match write(&self.store, &rows, self.timeout).await {
                Ok(()) => {
                    self.stats
                        .written
                        .fetch_add(rows.len() as u64, Ordering::Relaxed);
                    self.stats.set_error(None);
                    continue;
                }
                Err(e) => e,
            };
            self.stats.set_error(Some(error.clone()));
            match &self.journal {
                Some(j) => {
                    tracing::warn!(rows = rows.len(), %error, "inference log write failed: journaling the rows");
                    j.append(rows).await;
                    self.wake_replayer.notify_one();
                }
                None => {
                    tracing::warn!(rows = rows.len(), %error, "inference log rows dropped");
                    self.stats.drop_rows(rows.len());
                }
            }
        }
    }
}

struct Replayer {
    store: Store,
    timeout: Duration,
    batch_rows: usize,
    journal: Shared,
    wake: Arc<Notify>,
}

impl Replayer {
    /// Replays while the journal holds rows; waits for a wake-up (or a second) while it is empty. Once `stop`
    /// turns true it finishes the segment in hand and leaves the rest on disk for the next start.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let stats = self.journal.stats.clone();
        let mut backoff = Duration::from_millis(200);
        loop {
            if *stop.borrow() {
                break;
            }
            match self.replay_one().await {
                Ok(true) => {
                    backoff = Duration::from_millis(200);
                    continue;
                }
                Ok(false) => {
                    // Empty: whatever an earlier process left is in the database now.
                    stats.ready.store(true, Ordering::Relaxed);
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = crate::stop_requested(&mut stop) => break,
                    }
                }
                Err(error) => {
                    stats.set_error(Some(error));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = crate::stop_requested(&mut stop) => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
        let j = self.journal.clone();
        let _ = tokio::task::spawn_blocking(move || j.lock().flush()).await;
    }

    /// Writes the oldest segment to the database and removes it: `Ok(true)` when one was replayed, `Ok(false)`
    /// when the journal is empty.
    async fn replay_one(&self) -> Result<bool, String> {
        let j = self.journal.clone();
        let segment = tokio::task::spawn_blocking(move || j.lock().take_oldest())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("journal: {e}"))?;
        let Some(segment) = segment else {
            return Ok(false);
        };
        for chunk in segment.records.chunks(self.batch_rows) {
            write(&self.store, chunk, self.timeout).await?;
        }
        let stats = &self.journal.stats;
        let n = segment.records.len() as u64;
        stats.replayed.fetch_add(n, Ordering::Relaxed);
        stats.written.fetch_add(n, Ordering::Relaxed);
        stats.set_error(None);
        let j = self.journal.clone();
        let id = segment.id;
        tokio::task::spawn_blocking(move || {
            let mut journal = j.lock();
            let removed = journal.remove(id);
            j.publish(&journal);
            removed
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("journal: {e}"))?;
        tracing::info!(
            segment = id,
            rows = n,
            "inference log journal segment replayed"
        );
        Ok(true)
    }
}

/// One idempotent append within `timeout`.
async fn write(store: &Store, rows: &[InferenceRecord], timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, store.append_inference_log(rows)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("write timed out after {timeout:?}")),
    }
}
