//! Reading and validating the challenge's CSV files into source rows. Pure: no database.
//!
//! Two shapes are accepted: the challenge's own pair (`X_train.csv` with an unnamed index column,
//! designation, description, productid, imageid; `Y_train.csv` with the index and prdtypecode) and one
//! MERGED file (designation, description, productid, imageid, prdtypecode in any order, an unnamed index
//! column allowed). Every problem is reported with its file and line, and nothing partial is returned.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

/// One labelled product as imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    /// The row's index in the source (the challenge's unnamed first column, or its position).
    pub row_index: i64,
    pub designation: String,
    pub description: String,
    pub productid: i64,
    pub imageid: i64,
    pub prdtypecode: i64,
}

/// Where an import reads from.
#[derive(Clone, Debug)]
pub enum SourceFiles {
    Challenge { x_train: PathBuf, y_train: PathBuf },
    Merged(PathBuf),
}

impl SourceFiles {
    pub fn kind(&self) -> &'static str {
        match self {
            SourceFiles::Challenge { .. } => "challenge",
            SourceFiles::Merged(_) => "merged",
        }
    }

    pub fn paths(&self) -> Vec<&Path> {
        match self {
            SourceFiles::Challenge { x_train, y_train } => vec![x_train, y_train],
            SourceFiles::Merged(p) => vec![p],
        }
    }

    /// Reads and validates every row; the first problem found is returned as an error.
    pub fn read(&self) -> Result<Vec<SourceRow>> {
        let rows = match self {
            SourceFiles::Challenge { x_train, y_train } => read_challenge(x_train, y_train)?,
            SourceFiles::Merged(path) => read_merged(path)?,
        };
        check_unique_productids(&rows, self)?;
        Ok(rows)
    }
}

/// sha256 over every field of every row, in order: the identity of an import.
pub fn checksum(rows: &[SourceRow]) -> String {
    let mut h = Sha256::new();
    for r in rows {
        for field in [r.designation.as_bytes(), r.description.as_bytes()] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field);
        }
        for n in [r.row_index, r.productid, r.imageid, r.prdtypecode] {
            h.update(n.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

const X_COLUMNS: [&str; 4] = ["designation", "description", "productid", "imageid"];
const MERGED_COLUMNS: [&str; 5] = [
    "designation",
    "description",
    "productid",
    "imageid",
    "prdtypecode",
];

struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    header: Vec<String>,
}

impl CsvFile {
    fn open(path: &Path) -> Result<CsvFile> {
        let file = std::fs::File::open(path).map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(file);
        let header = match reader.headers() {
            Ok(h) => h
                .iter()
                .map(|s| s.trim_start_matches('\u{feff}').to_string())
                .collect::<Vec<_>>(),
            Err(e) => return Err(csv_error(path, e)),
        };
        if header.len() <= 1 && header.iter().all(|h| h.is_empty()) {
            return Err(DataError::csv(
                path,
                1,
                "the file is empty: expected a header line",
            ));
        }
        Ok(CsvFile {
            path: path.into(),
            reader,
            header,
        })
    }

    fn column(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            DataError::csv(
                &self.path,
                1,
                format!(
                    "missing column {name:?} (header is {:?})",
                    self.header.join(",")
                ),
            )
        })
    }

    /// Each record with its line number.
    fn records(&mut self) -> impl Iterator<Item = Result<(u64, csv::StringRecord)>> + '_ {
        let path = self.path.clone();
        self.reader.records().map(move |rec| {
            let rec = rec.map_err(|e| csv_error(&path, e))?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            Ok((line, rec))
        })
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        csv::ErrorKind::Io(err) => {
            return DataError::Io {
                path: path.into(),
                source: std::io::Error::new(err.kind(), err.to_string()),
            };
        }
        _ => e.to_string(),
    };
    DataError::csv(path, line, message)
}

fn int_field(
    path: &Path,
    line: u64,
    rec: &csv::StringRecord,
    idx: usize,
    name: &str,
) -> Result<i64> {
    let raw = rec.get(idx).unwrap_or("").trim();
    raw.parse::<i64>().map_err(|_| {
        DataError::csv(
            path,
            line,
            format!("{name} must be an integer, found {raw:?}"),
        )
    })
}

fn text_field(
    path: &Path,
    line: u64,
    rec: &csv::StringRecord,
    idx: usize,
    name: &str,
) -> Result<String> {
    let value = rec.get(idx).unwrap_or("");
    if value.contains('\0') {
        return Err(DataError::csv(
            path,
            line,
            format!("{name} contains a NUL character"),
        ));
    }
    Ok(value.to_string())
}

fn read_challenge(x_path: &Path, y_path: &Path) -> Result<Vec<SourceRow>> {
    let mut x = CsvFile::open(x_path)?;
    expect_header(&x, &X_COLUMNS)?;
    let mut y = CsvFile::open(y_path)?;
    expect_header(&y, &["prdtypecode"])?;

    let mut labels = Vec::new();
    for rec in y.records() {
        let (line, rec) = rec?;
        let index = int_field(y_path, line, &rec, 0, "index")?;
        let code = int_field(y_path, line, &rec, 1, "prdtypecode")?;
        labels.push((line, index, code));
    }

    let mut rows = Vec::with_capacity(labels.len());
    for (i, rec) in x.records().enumerate() {
        let (line, rec) = rec?;
        let index = int_field(x_path, line, &rec, 0, "index")?;
        let Some(&(y_line, y_index, code)) = labels.get(i) else {
            return Err(DataError::csv(
                y_path,
                labels.last().map(|l| l.0 + 1).unwrap_or(2),
                format!(
                    "has {} rows but {} has more (its line {line} has no label)",
                    labels.len(),
                    x_path.display()
                ),
            ));
        };
        if y_index != index {
            return Err(DataError::csv(
                y_path,
                y_line,
                format!(
                    "index {y_index} does not match index {index} at {}:{line}",
                    x_path.display()
                ),
            ));
        }
        rows.push(SourceRow {
            row_index: index,
            designation: required_text(x_path, line, &rec, 1, "designation")?,
            description: text_field(x_path, line, &rec, 2, "description")?,
            productid: int_field(x_path, line, &rec, 3, "productid")?,
            imageid: int_field(x_path, line, &rec, 4, "imageid")?,
            prdtypecode: code,
        });
    }
    if labels.len() > rows.len() {
        let (y_line, _, _) = labels[rows.len()];
        return Err(DataError::csv(
            y_path,
            y_line,
            format!(
                "has {} rows but {} has only {}",
                labels.len(),
                x_path.display(),
                rows.len()
            ),
        ));
    }
    if rows.is_empty() {
        return Err(DataError::csv(x_path, 2, "no data rows"));
    }
    Ok(rows)
}

fn read_merged(path: &Path) -> Result<Vec<SourceRow>> {
    let mut f = CsvFile::open(path)?;
    let idx: Vec<usize> = MERGED_COLUMNS
        .iter()
        .map(|c| f.column(c))
        .collect::<Result<_>>()?;
    let index_col = f
        .header
        .iter()
        .position(|h| h.is_empty() || h == "Unnamed: 0");
    let mut rows = Vec::new();
    for (i, rec) in f.records().enumerate() {
        let (line, rec) = rec?;
        let row_index = match index_col {
            Some(c) => int_field(path, line, &rec, c, "index")?,
            None => i as i64,
        };
        rows.push(SourceRow {
            row_index,
            designation: required_text(path, line, &rec, idx[0], "designation")?,
            description: text_field(path, line, &rec, idx[1], "description")?,
            productid: int_field(path, line, &rec, idx[2], "productid")?,
            imageid: int_field(path, line, &rec, idx[3], "imageid")?,
            prdtypecode: int_field(path, line, &rec, idx[4], "prdtypecode")?,
        });
    }
    if rows.is_empty() {
        return Err(DataError::csv(path, 2, "no data rows"));
    }
    Ok(rows)
}

fn required_text(
    path: &Path,
    line: u64,
    rec: &csv::StringRecord,
    idx: usize,
    name: &str,
) -> Result<String> {
    let v = text_field(path, line, rec, idx, name)?;
    if v.trim().is_empty() {
        return Err(DataError::csv(path, line, format!("{name} is empty")));
    }
    Ok(v)
}

/// The challenge files start with an unnamed index column, then exactly `columns`.
fn expect_header(f: &CsvFile, columns: &[&str]) -> Result<()> {
    let ok = f.header.len() == columns.len() + 1
        && (f.header[0].is_empty() || f.header[0] == "Unnamed: 0")
        && f.header[1..].iter().zip(columns).all(|(h, c)| h == c);
    if ok {
        return Ok(());
    }
    for c in columns {
        if !f.header.iter().any(|h| h == c) {
            return Err(DataError::csv(
                &f.path,
                1,
                format!(
                    "missing column {c:?}: expected header \",{}\", found {:?}",
                    columns.join(","),
                    f.header.join(",")
                ),
            ));
        }
    }
    Err(DataError::csv(
        &f.path,
        1,
        format!(
            "wrong header: expected \",{}\", found {:?}",
            columns.join(","),
            f.header.join(",")
        ),
    ))
}

fn check_unique_productids(rows: &[SourceRow], files: &SourceFiles) -> Result<()> {
    // Lines are not kept per row; find them again only when there is a duplicate to report.
    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if let Some(&first) = seen.get(&r.productid) {
            let path = files.paths()[0].to_path_buf();
            let (first_line, line) =
                duplicate_lines(&path, first, i).unwrap_or((first as u64 + 2, i as u64 + 2));
            return Err(DataError::csv(
                path,
                line,
                format!(
                    "duplicate productid {} (first seen on line {first_line})",
                    r.productid
                ),
            ));
        }
        seen.insert(r.productid, i);
    }
    Ok(())
}

fn duplicate_lines(path: &Path, first: usize, second: usize) -> Option<(u64, u64)> {
    let mut f = CsvFile::open(path).ok()?;
    let mut lines = f.records().filter_map(|r| r.ok()).map(|(line, _)| line);
    let a = lines.nth(first)?;
    let b = lines.nth(second - first - 1)?;
    Some((a, b))
}
