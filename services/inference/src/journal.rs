//! A bounded, append-only journal on local disk for inference-log rows the database could not take in time.
//! When the database answers again the journal is replayed oldest segment first, and each segment is deleted
//! once the database has committed it.
//!
//! **Format.** The journal is a directory of segment files named `segment-{id:020}.log`; ids only increase, so
//! name order is age order. A segment starts with an 8-byte header: the magic `RKJOURN` and a format version
//! byte (`1`). Records follow back to back, each as `u32` little-endian payload length, `u32` little-endian
//! CRC-32 (IEEE, `crc32fast`) of the payload, then the payload: the `serde_json` bytes of one row. A payload is
//! at most [`MAX_RECORD_BYTES`] (16 MiB). Only the newest segment (the active one) is written to; it is sealed
//! and a new one started once it reaches `segment_bytes`. Other files in the directory are ignored.
//!
//! **Guarantees.** Rows come back in the order they were appended. Delivery is at-least-once: a segment is
//! deleted only by [`Journal::remove`], after the caller has committed it, so a crash between commit and delete
//! replays it again (database writes are idempotent by prediction id). A record whose length runs past the end of
//! the file or over the limit, whose checksum does not match, or whose payload does not parse as a row is torn or
//! corrupt: it and everything after it in that segment is skipped, the records before it are kept. `open` warns
//! about each such tail, naming file and offset, and counts it once per segment in [`OpenReport::torn_records`].
//! A journal opened over the files of an earlier process (possibly SIGKILLed mid-write) never appends after their
//! possibly torn tail: new rows go to a new segment. Segment bytes on disk (headers included, earlier segments
//! too) are bounded by `max_bytes`; an append drops the rows that would go past it and counts them in
//! [`AppendOutcome::dropped`]: the journal never blocks and never grows without bound. One process per
//! directory. Rows must stay deserializable across versions (add fields with `#[serde(default)]`), since a row
//! that no longer parses counts as corrupt.
//!
//! **Fsync policy.** A row whose `append` returned is in the kernel's page cache and survives a crash of the
//! process. Surviving a power loss or kernel crash depends on [`FsyncPolicy`]: `Never` leaves it to the kernel;
//! `OnSeal` (the default) fsyncs a segment when it is sealed, on [`Journal::flush`] and when the journal is
//! dropped, so only what was written since can be lost (and is then detected as torn, not misread);
//! `EveryAppend` fsyncs after each append, one fsync per batch. `flush` always fsyncs, whatever the policy.
//! Unless the policy is `Never`, the directory is fsynced when a segment is created.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

const MAGIC: &[u8; 7] = b"RKJOURN";
const VERSION: u8 = 1;
const HEADER_LEN: u64 = 8;
const FRAME_LEN: usize = 8;
/// The largest payload a record may carry; a longer length field is read as corruption.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Never fsync on its own (only an explicit [`Journal::flush`] does).
    Never,
    /// Fsync a segment when it is sealed, on `flush` and on drop.
    #[default]
    OnSeal,
    /// Fsync after every append.
    EveryAppend,
}

#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// Created if missing.
    pub dir: PathBuf,
    /// The active segment is sealed and a new one started once it reaches this size.
    pub segment_bytes: u64,
    /// Bound on all segments' bytes together; past it, appends drop rows.
    pub max_bytes: u64,
    pub fsync: FsyncPolicy,
}

impl JournalConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        JournalConfig {
            dir: dir.into(),
            ..JournalConfig::default()
        }
    }
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            dir: PathBuf::from(".rakuten/journal"),
            segment_bytes: 8 << 20,
            max_bytes: 256 << 20,
            fsync: FsyncPolicy::default(),
        }
    }
}

/// What [`Journal::open`] found on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenReport {
    pub segments: usize,
    /// Readable records found.
    pub records: u64,
    pub bytes: u64,
    /// Torn or corrupt tails found and skipped (one per segment: nothing after the first bad record is read).
    pub torn_records: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    pub written: usize,
    /// Rows refused because they would push the journal over `max_bytes` (or over [`MAX_RECORD_BYTES`]).
    pub dropped: usize,
}

/// The valid records of one sealed segment, oldest first.
#[derive(Debug, Clone)]
pub struct Segment<T> {
    pub id: u64,
    pub records: Vec<T>,
    /// Bytes of the segment file (what `remove` frees).
    pub bytes: u64,
}

#[derive(Debug)]
struct SegmentFile {
    id: u64,
    path: PathBuf,
    bytes: u64,
    records: u64,
}

#[derive(Debug)]
pub struct Journal<T> {
    config: JournalConfig,
    /// Segments on disk, oldest first. The last one is the active one while `active` holds its file.
    segs: VecDeque<SegmentFile>,
    active: Option<File>,
    next_id: u64,
    total_bytes: u64,
    _rows: PhantomData<fn() -> T>,
}

impl<T: Serialize + DeserializeOwned> Journal<T> {
    /// Opens the journal in `config.dir`, validating every record of the segments left by an earlier process
    /// and deleting segments with none valid. Fails on I/O errors and on a segment in an unknown format version.
    pub fn open(config: JournalConfig) -> io::Result<(Journal<T>, OpenReport)> {
        fs::create_dir_all(&config.dir)?;
        let mut found = Vec::new();
        for entry in fs::read_dir(&config.dir)? {
            let entry = entry?;
            if let Some(id) = entry.file_name().to_str().and_then(parse_name)
                && entry.file_type()?.is_file()
            {
                found.push((id, entry.path()));
            }
        }
        found.sort_unstable();
        let (segs, active, next_id, total_bytes) = (VecDeque::new(), None, 1, 0);
        let mut journal = Journal {
            config,
            segs,
            active,
            next_id,
            total_bytes,
            _rows: PhantomData,
        };
        let mut report = OpenReport::default();
        for (id, path) in found {
            journal.next_id = id.saturating_add(1);
            let data = fs::read(&path)?;
            if data.len() >= 8 && data[..7] == MAGIC[..] && data[7] != VERSION {
                let msg = format!(
                    "{}: unknown journal format version {}",
                    path.display(),
                    data[7]
                );
                return Err(io::Error::new(ErrorKind::InvalidData, msg));
            }
            let (records, torn) = scan::<T>(&data);
            if let Some((offset, reason)) = torn
                && !data.is_empty()
            {
                let file = path.display();
                tracing::warn!(%file, offset, reason, "journal: torn or corrupt tail skipped");
                report.torn_records += 1;
            }
            if records.is_empty() {
                fs::remove_file(&path)?;
                continue;
            }
            let (bytes, records) = (data.len() as u64, records.len() as u64);
            report.segments += 1;
            report.records += records;
            report.bytes += bytes;
            journal.segs.push_back(SegmentFile {
                id,
                path,
                bytes,
                records,
            });
        }
        journal.total_bytes = report.bytes;
        Ok((journal, report))
    }

    /// Appends `records` in order, with one write per segment touched. On error, some of the rows may be
    /// journaled already (they will be replayed, at least once).
    pub fn append(&mut self, records: &[T]) -> io::Result<AppendOutcome> {
        let payloads = records
            .iter()
            .map(|r| serde_json::to_vec(r).map_err(|e| io::Error::new(ErrorKind::InvalidInput, e)))
            .collect::<io::Result<Vec<_>>>()?;
        let mut out = AppendOutcome::default();
        let (mut buf, mut pending) = (Vec::new(), 0u64);
        for payload in payloads {
            let active = self.segs.back().filter(|_| self.active.is_some());
            let segment = active.map_or(0, |s| s.bytes) + buf.len() as u64;
            if segment > 0 && segment >= self.config.segment_bytes {
                self.write_active(&mut buf, &mut pending)?;
                self.seal_active()?;
            }
            let new_segment = self.active.is_none() && buf.is_empty();
            let need =
                (FRAME_LEN + payload.len()) as u64 + if new_segment { HEADER_LEN } else { 0 };
            if payload.len() > MAX_RECORD_BYTES
                || self.total_bytes + buf.len() as u64 + need > self.config.max_bytes
            {
                out.dropped += 1;
                continue;
            }
            if new_segment {
                buf.extend_from_slice(MAGIC);
                buf.push(VERSION);
            }
            buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            buf.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            buf.extend_from_slice(&payload);
            pending += 1;
            out.written += 1;
        }
        self.write_active(&mut buf, &mut pending)?;
        Ok(out)
    }

    /// The valid records of the oldest segment, sealing the active segment first if no other holds records.
    /// The segment stays on disk until [`Journal::remove`]: calling this again returns it again. `None` when the
    /// journal is empty. Segments with no valid record left are deleted on the way.
    pub fn take_oldest(&mut self) -> io::Result<Option<Segment<T>>> {
        loop {
            if self.segs.len() == 1 && self.active.is_some() {
                self.seal_active()?;
            }
            let Some(seg) = self.segs.front() else {
                return Ok(None);
            };
            let data = match fs::read(&seg.path) {
                Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
                read => read?,
            };
            let (records, _torn) = scan::<T>(&data);
            if !records.is_empty() {
                return Ok(Some(Segment {
                    id: seg.id,
                    records,
                    bytes: seg.bytes,
                }));
            }
            self.remove(seg.id)?;
        }
    }
}

impl<T> Journal<T> {
    /// Deletes a segment returned by `take_oldest` (once the database committed it). Unknown ids are a no-op.
    pub fn remove(&mut self, id: u64) -> io::Result<()> {
        let Some(index) = self.segs.iter().position(|s| s.id == id) else {
            return Ok(());
        };
        if self.active.is_some() && index + 1 == self.segs.len() {
            let msg = "the active journal segment cannot be removed";
            return Err(io::Error::new(ErrorKind::InvalidInput, msg));
        }
        if let Err(e) = fs::remove_file(&self.segs[index].path)
            && e.kind() != ErrorKind::NotFound
        {
            return Err(e);
        }
        let seg = self.segs.remove(index).expect("index from position");
        self.total_bytes -= seg.bytes;
        Ok(())
    }

    /// Fsyncs the active segment, whatever the policy (used at shutdown).
    pub fn flush(&mut self) -> io::Result<()> {
        self.sync_active()
    }

    /// Bytes of all segments still on disk.
    pub fn pending_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Segment files on disk, the active one included (it exists only once it holds records).
    pub fn segments(&self) -> usize {
        self.segs.len()
    }

    /// No records waiting.
    pub fn is_empty(&self) -> bool {
        self.segs.iter().all(|s| s.records == 0)
    }

    /// Writes `buf` (a header if the segment is new, then frames) to the active segment, creating it if needed.
    fn write_active(&mut self, buf: &mut Vec<u8>, records: &mut u64) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if self.active.is_none() {
            let (id, path) = (self.next_id, segment_path(&self.config.dir, self.next_id));
            let file = OpenOptions::new()
                .append(true)
                .create_new(true)
                .open(&path)?;
            self.next_id += 1;
            if self.config.fsync != FsyncPolicy::Never {
                sync_dir(&self.config.dir)?;
            }
            self.active = Some(file);
            self.segs.push_back(SegmentFile {
                id,
                path,
                bytes: 0,
                records: 0,
            });
        }
        let file = self.active.as_mut().expect("an active segment");
        let seg = self.segs.back_mut().expect("an active segment");
        let written = file.write_all(buf);
        // After a failed write what reached the file is unknown: count what is there, never append after it.
        let len = match &written {
            Ok(()) => seg.bytes + buf.len() as u64,
            Err(_) => file
                .metadata()
                .map_or(seg.bytes + buf.len() as u64, |m| m.len()),
        };
        self.total_bytes = self.total_bytes - seg.bytes + len;
        seg.bytes = len;
        seg.records += std::mem::take(records);
        buf.clear();
        if let Err(e) = written {
            self.active = None;
            return Err(e);
        }
        if self.config.fsync == FsyncPolicy::EveryAppend {
            self.sync_active()?;
        }
        Ok(())
    }

    fn seal_active(&mut self) -> io::Result<()> {
        if self.config.fsync != FsyncPolicy::Never {
            self.sync_active()?;
        }
        self.active = None;
        Ok(())
    }

    fn sync_active(&self) -> io::Result<()> {
        self.active.as_ref().map_or(Ok(()), File::sync_data)
    }
}

impl<T> Drop for Journal<T> {
    fn drop(&mut self) {
        if self.config.fsync != FsyncPolicy::Never
            && let Err(error) = self.sync_active()
        {
            tracing::warn!(%error, "journal: fsync at close failed");
        }
    }
}

/// Makes a new directory entry durable (a no-op where directories cannot be opened as files).
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("segment-{id:020}.log"))
}

fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("segment-")?.strip_suffix(".log")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())?
}

/// The records of a segment up to the first torn or corrupt one, and that one's offset and fault.
fn scan<T: DeserializeOwned>(data: &[u8]) -> (Vec<T>, Option<(u64, &'static str)>) {
    let mut records = Vec::new();
    if data.len() < HEADER_LEN as usize || data[..7] != MAGIC[..] || data[7] != VERSION {
        return (records, Some((0, "bad segment header")));
    }
    let mut pos = HEADER_LEN as usize;
    let fault = loop {
        let rest = &data[pos..];
        if rest.is_empty() {
            break None;
        } else if rest.len() < FRAME_LEN {
            break Some("truncated record frame");
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let Some(payload) = rest
            .get(FRAME_LEN..FRAME_LEN + len)
            .filter(|_| len <= MAX_RECORD_BYTES)
        else {
            break Some("record length past the end of the file or over the limit");
        };
        if crc32fast::hash(payload) != crc {
            break Some("checksum mismatch");
        }
        match serde_json::from_slice(payload) {
            Ok(record) => records.push(record),
            Err(_) => break Some("payload does not parse"),
        }
        pos += FRAME_LEN + len;
    };
    (records, fault.map(|fault| (pos as u64, fault)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use tempfile::TempDir;

    #[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
    struct Row {
        id: String,
        n: i64,
    }

    fn rows(range: std::ops::Range<usize>) -> Vec<Row> {
        let row = |i| Row {
            id: format!("row-{i:04}"),
            n: 1000 + i as i64,
        };
        range.map(row).collect()
    }

    /// Bytes of one record on disk (all rows from `rows` have the same size).
    fn frame() -> u64 {
        (FRAME_LEN + serde_json::to_vec(&rows(0..1)[0]).unwrap().len()) as u64
    }

    /// Opens a journal in `dir` with these segment and total bounds.
    fn open(dir: &Path, segment_bytes: u64, max_bytes: u64) -> (Journal<Row>, OpenReport) {
        let config = JournalConfig::new(dir);
        Journal::open(JournalConfig {
            segment_bytes,
            max_bytes,
            ..config
        })
        .unwrap()
    }

    fn open_default(dir: &Path) -> (Journal<Row>, OpenReport) {
        Journal::open(JournalConfig::new(dir)).unwrap()
    }

    /// (written, dropped)
    fn append(journal: &mut Journal<Row>, rows: Vec<Row>) -> (usize, usize) {
        let outcome = journal.append(&rows).unwrap();
        (outcome.written, outcome.dropped)
    }

    /// (segments, records, bytes, torn_records)
    fn counts(report: OpenReport) -> (usize, u64, u64, u64) {
        (
            report.segments,
            report.records,
            report.bytes,
            report.torn_records,
        )
    }

    fn drain(journal: &mut Journal<Row>) -> Vec<Row> {
        let mut all = Vec::new();
        while let Some(segment) = journal.take_oldest().unwrap() {
            all.extend(segment.records);
            journal.remove(segment.id).unwrap();
        }
        all
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    /// Journals rows 0..3 in one segment, edits its bytes as a crash or a bad disk would, and reopens.
    fn reopen_edited(edit: impl FnOnce(&mut Vec<u8>)) -> (TempDir, Journal<Row>, OpenReport) {
        let dir = tempfile::tempdir().unwrap();
        append(&mut open_default(dir.path()).0, rows(0..3));
        let path = segment_path(dir.path(), 1);
        let mut data = fs::read(&path).unwrap();
        edit(&mut data);
        fs::write(&path, &data).unwrap();
        let (journal, report) = open_default(dir.path());
        (dir, journal, report)
    }

    #[test]
    fn round_trips_in_order_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        // Three records per segment: the third takes it past segment_bytes.
        let (mut journal, report) = open(dir.path(), HEADER_LEN + 2 * frame() + 1, 1 << 20);
        assert_eq!(report, OpenReport::default());
        assert_eq!(append(&mut journal, rows(0..10)), (10, 0));
        assert_eq!(journal.segments(), 4);
        assert_eq!(append(&mut journal, rows(10..15)), (5, 0));
        assert_eq!((journal.segments(), files(dir.path()).len()), (5, 5));
        assert_eq!(journal.pending_bytes(), 5 * (HEADER_LEN + 3 * frame()));
        assert_eq!(drain(&mut journal), rows(0..15));
        assert!(journal.is_empty());
        assert_eq!((journal.pending_bytes(), journal.segments()), (0, 0));
        assert!(files(dir.path()).is_empty());
    }

    #[test]
    fn reopen_returns_the_same_records() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = open(dir.path(), 100, 1 << 20);
        append(&mut journal, rows(0..7));
        let (segments, bytes) = (journal.segments(), journal.pending_bytes());
        assert!(segments > 1);
        drop(journal);
        let (mut journal, report) = open(dir.path(), 100, 1 << 20);
        assert_eq!(counts(report), (segments, 7, bytes, 0));
        assert!(!journal.is_empty());
        assert_eq!(drain(&mut journal), rows(0..7));
    }

    #[test]
    fn torn_final_record_is_skipped_and_counted() {
        let (_dir, mut journal, report) = reopen_edited(|data| data.truncate(data.len() - 3));
        assert_eq!(counts(report), (1, 2, HEADER_LEN + 3 * frame() - 3, 1));
        assert_eq!(drain(&mut journal), rows(0..2));
    }

    #[test]
    fn flipped_payload_byte_fails_the_checksum() {
        // "row-0001" -> "row-0009": still valid JSON and a valid Row, so only the checksum can tell.
        let (_dir, mut journal, report) = reopen_edited(|data| {
            let at = data.windows(8).position(|w| w == b"row-0001").unwrap();
            data[at + 7] = b'9';
        });
        assert_eq!((report.records, report.torn_records), (1, 1));
        assert_eq!(drain(&mut journal), rows(0..1));
    }

    #[test]
    fn garbage_length_is_corruption() {
        let (_dir, mut journal, report) = reopen_edited(|data| data.extend_from_slice(&[0xff; 12]));
        assert_eq!((report.records, report.torn_records), (3, 1));
        assert_eq!(drain(&mut journal), rows(0..3));
    }

    #[test]
    fn max_bytes_drops_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let max_bytes = HEADER_LEN + 3 * frame();
        let (mut journal, _) = open(dir.path(), 1 << 20, max_bytes);
        assert_eq!(append(&mut journal, rows(0..5)), (3, 2));
        assert_eq!(append(&mut journal, rows(5..6)), (0, 1));
        assert_eq!(journal.pending_bytes(), max_bytes);
        assert_eq!(drain(&mut journal), rows(0..3));
        assert_eq!(append(&mut journal, rows(6..8)), (2, 0));
        assert_eq!(drain(&mut journal), rows(6..8));
    }

    #[test]
    fn appends_after_reopen_go_to_a_new_segment() {
        let dir = tempfile::tempdir().unwrap();
        append(&mut open_default(dir.path()).0, rows(0..2));
        let old = fs::read(segment_path(dir.path(), 1)).unwrap();
        let (mut journal, _) = open_default(dir.path());
        append(&mut journal, rows(2..4));
        assert_eq!(journal.segments(), 2);
        assert_eq!(fs::read(segment_path(dir.path(), 1)).unwrap(), old);
        let first = journal.take_oldest().unwrap().unwrap();
        assert_eq!((first.id, first.records), (1, rows(0..2)));
        journal.remove(1).unwrap();
        let second = journal.take_oldest().unwrap().unwrap();
        assert_eq!((second.id, second.records), (2, rows(2..4)));
    }

    #[test]
    fn take_oldest_twice_returns_the_same_segment() {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, _) = open_default(dir.path());
        append(&mut journal, rows(0..4));
        let first = journal.take_oldest().unwrap().unwrap();
        let again = journal.take_oldest().unwrap().unwrap();
        assert_eq!((first.id, &first.records), (again.id, &rows(0..4)));
        // The taken segment was sealed: new rows start another one.
        append(&mut journal, rows(4..5));
        assert_eq!(journal.segments(), 2);
        journal.remove(first.id).unwrap();
        assert_eq!(drain(&mut journal), rows(4..5));
        assert!(journal.take_oldest().unwrap().is_none());
    }

    #[test]
    fn open_drops_empty_segments_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(segment_path(dir.path(), 7), b"").unwrap();
        fs::write(segment_path(dir.path(), 8), b"RKJ").unwrap();
        fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
        let (mut journal, report) = open_default(dir.path());
        assert_eq!(counts(report), (0, 0, 0, 1));
        assert_eq!(files(dir.path()), vec![dir.path().join("notes.txt")]);
        append(&mut journal, rows(0..1));
        assert_eq!(journal.take_oldest().unwrap().unwrap().id, 9);
    }
}
