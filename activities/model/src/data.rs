//! Rows in: the MERGED challenge CSV reader and a fixed stratified split.

use std::collections::BTreeMap;
use std::path::Path;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// One labelled product: the raw text fields and its `prdtypecode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabeledText {
    pub designation: String,
    pub description: String,
    pub label: i64,
}

/// Characters of the short-title view: live traffic often sends a designation alone, cut by the client.
pub const SHORT_TITLE_CHARS: usize = 100;

impl LabeledText {
    /// The row as a short title: the designation alone, cut at `max_chars` characters.
    pub fn short_title(&self, max_chars: usize) -> LabeledText {
        LabeledText {
            designation: self.designation.chars().take(max_chars).collect(),
            description: String::new(),
            label: self.label,
        }
    }
}

/// Every row's short-title view ([`SHORT_TITLE_CHARS`]): the second evaluation view of the benchmark.
pub fn short_title_view(rows: &[LabeledText]) -> Vec<LabeledText> {
    rows.iter()
        .map(|r| r.short_title(SHORT_TITLE_CHARS))
        .collect()
}

const REQUIRED: [&str; 3] = ["designation", "description", "prdtypecode"];

/// Reads a MERGED file (designation, description, productid, imageid, prdtypecode; quoted multi-line HTML;
/// empty description allowed). Errors name the file and the line.
pub fn read_merged_csv(path: &Path) -> Result<Vec<LabeledText>, ModelError> {
    let file = std::fs::File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let csv_error = |e: csv::Error| ModelError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(1, csv::Position::line),
        message: e.to_string(),
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    let mut index = [0usize; 3];
    for (slot, name) in index.iter_mut().zip(REQUIRED) {
        *slot = headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
            .ok_or_else(|| ModelError::Csv {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "missing column `{name}` (have: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            })?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, csv::Position::line);
        let raw_label = record.get(index[2]).unwrap_or_default().trim();
        let label = raw_label.parse::<i64>().map_err(|_| ModelError::Csv {
            path: path.to_path_buf(),
            line,
            message: format!("prdtypecode `{raw_label}` is not an integer"),
        })?;
        rows.push(LabeledText {
            designation: record.get(index[0]).unwrap_or_default().to_string(),
            description: record.get(index[1]).unwrap_or_default().to_string(),
            label,
        });
    }
    if rows.is_empty() {
        return Err(ModelError::EmptyData {
            path: path.to_path_buf(),
        });
    }
    Ok(rows)
}

/// Splits rows into (train, holdout) with `holdout_fraction` of every class in the holdout (at least one row of
/// any class with two or more rows). The same rows and seed always give the same split.
pub fn stratified_split(
    rows: &[LabeledText],
    holdout_fraction: f64,
    seed: u64,
) -> (Vec<LabeledText>, Vec<LabeledText>) {
    let mut by_class: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_class.entry(row.label).or_default().push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut train = Vec::new();
    let mut holdout = Vec::new();
    for indices in by_class.values_mut() {
        indices.shuffle(&mut rng);
        let n = indices.len();
        let mut take = (n as f64 * holdout_fraction).round() as usize;
        if n >= 2 {
            take = take.clamp(1, n - 1);
        } else {
            take = 0;
        }
        holdout.extend(indices[..take].iter().copied());
        train.extend(indices[take..].iter().copied());
    }
    train.sort_unstable();
    holdout.sort_unstable();
    let pick = |ix: Vec<usize>| ix.into_iter().map(|i| rows[i].clone()).collect();
    (pick(train), pick(holdout))
}

/// Writes rows as a MERGED CSV (productid and imageid left empty); used to share a split with other tools.
pub fn write_merged_csv(path: &Path, rows: &[LabeledText]) -> Result<(), ModelError> {
    let to_err = |e: csv::Error| ModelError::Csv {
        path: path.to_path_buf(),
        line: 0,
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_path(path).map_err(to_err)?;
    writer
        .write_record([
            "designation",
            "description",
            "productid",
            "imageid",
            "prdtypecode",
        ])
        .map_err(to_err)?;
    for row in rows {
        let label = row.label.to_string();
        writer
            .write_record([
                row.designation.as_str(),
                row.description.as_str(),
                "",
                "",
                label.as_str(),
            ])
            .map_err(to_err)?;
    }
    writer.flush().map_err(|e| ModelError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("merged.csv");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_quoted_multiline_and_empty_description() {
        let (_dir, path) = write(
            "designation,description,productid,imageid,prdtypecode\n\"Livre\",\"<p>ligne 1\nligne, 2</p>\",1,2,10\nJeu,,3,4,2905\n",
        );
        let rows = read_merged_csv(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].description, "<p>ligne 1\nligne, 2</p>");
        assert_eq!(rows[1].description, "");
        assert_eq!(rows[1].label, 2905);
    }

    #[test]
    fn errors_name_file_and_line() {
        let (_dir, path) = write(
            "designation,description,productid,imageid,prdtypecode\na,b,1,2,10\nc,d,3,4,oops\n",
        );
        let err = read_merged_csv(&path).unwrap_err().to_string();
        assert!(
            err.contains("merged.csv") && err.contains("line 3") && err.contains("oops"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_and_missing_column_are_errors() {
        let (_dir, path) = write("designation,description,productid,imageid,prdtypecode\n");
        assert!(matches!(
            read_merged_csv(&path),
            Err(ModelError::EmptyData { .. })
        ));
        let (_dir, path) = write("designation,description\na,b\n");
        let err = read_merged_csv(&path).unwrap_err().to_string();
        assert!(err.contains("prdtypecode"), "{err}");
    }

    #[test]
    fn split_is_stratified_and_fixed() {
        let rows: Vec<_> = (0..100)
            .map(|i| LabeledText {
                designation: format!("item {i}"),
                description: String::new(),
                label: if i < 80 { 1 } else { 2 },
            })
            .collect();
        let (train, test) = stratified_split(&rows, 0.2, 7);
        assert_eq!(test.iter().filter(|r| r.label == 1).count(), 16);
        assert_eq!(test.iter().filter(|r| r.label == 2).count(), 4);
        assert_eq!(train.len(), 80);
        assert_eq!(stratified_split(&rows, 0.2, 7).1, test);
    }
}
