//! Every validation error names the file, the line and the problem; nothing partial is returned.

use std::path::{Path, PathBuf};

use data::{DataError, SourceFiles};

const X_HEADER: &str = ",designation,description,productid,imageid\n";
const Y_HEADER: &str = ",prdtypecode\n";

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn challenge(x: &str, y: &str) -> Result<Vec<data::SourceRow>, DataError> {
    let dir = tempfile::tempdir().unwrap();
    let files = SourceFiles::Challenge {
        x_train: write(dir.path(), "X_train.csv", x.as_bytes()),
        y_train: write(dir.path(), "Y_train.csv", y.as_bytes()),
    };
    files.read()
}

fn merged(content: &[u8]) -> Result<Vec<data::SourceRow>, DataError> {
    let dir = tempfile::tempdir().unwrap();
    SourceFiles::Merged(write(dir.path(), "merged.csv", content)).read()
}

fn expect_err(r: Result<Vec<data::SourceRow>, DataError>, file: &str, line: u64, needle: &str) {
    match r {
        Err(DataError::Csv {
            file: f,
            line: l,
            message,
        }) => {
            assert!(f.ends_with(file), "file {} != {file}", f.display());
            assert_eq!(l, line, "line for {message:?}");
            assert!(
                message.contains(needle),
                "{message:?} should contain {needle:?}"
            );
        }
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn challenge_format_with_multiline_html_parses() {
    let x = format!(
        "{X_HEADER}0,Livre rare,\"<p>Une \"\"belle\"\" édition,\nreliée</p>\n<br />\",101,201\n1,Console,,102,202\n"
    );
    let rows = challenge(&x, &format!("{Y_HEADER}0,10\n1,60\n")).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].description,
        "<p>Une \"belle\" édition,\nreliée</p>\n<br />"
    );
    assert_eq!(rows[0].prdtypecode, 10);
    assert_eq!(
        (rows[1].productid, rows[1].imageid, rows[1].prdtypecode),
        (102, 202, 60)
    );
    assert_eq!(rows[1].description, "");
}

#[test]
fn wrong_header() {
    let x = ",designation,desc,productid,imageid\n0,a,,1,2\n";
    expect_err(
        challenge(x, &format!("{Y_HEADER}0,10\n")),
        "X_train.csv",
        1,
        "missing column \"description\"",
    );
    let x = ",description,designation,productid,imageid\n0,a,,1,2\n";
    expect_err(
        challenge(x, &format!("{Y_HEADER}0,10\n")),
        "X_train.csv",
        1,
        "wrong header",
    );
    expect_err(
        challenge(&format!("{X_HEADER}0,a,,1,2\n"), ",code\n0,10\n"),
        "Y_train.csv",
        1,
        "prdtypecode",
    );
}

#[test]
fn missing_column_in_merged() {
    expect_err(
        merged(b"designation,description,productid,prdtypecode\na,,1,10\n"),
        "merged.csv",
        1,
        "\"imageid\"",
    );
}

#[test]
fn non_numeric_code_and_ids() {
    expect_err(
        challenge(
            &format!("{X_HEADER}0,a,,1,2\n1,b,,3,4\n"),
            &format!("{Y_HEADER}0,10\n1,dix\n"),
        ),
        "Y_train.csv",
        3,
        "prdtypecode must be an integer",
    );
    expect_err(
        merged(b"designation,description,productid,imageid,prdtypecode\na,,x1,2,10\n"),
        "merged.csv",
        2,
        "productid must be an integer",
    );
}

#[test]
fn mismatched_lengths_and_indexes() {
    expect_err(
        challenge(
            &format!("{X_HEADER}0,a,,1,2\n1,b,,3,4\n"),
            &format!("{Y_HEADER}0,10\n"),
        ),
        "Y_train.csv",
        3,
        "has 1 rows",
    );
    expect_err(
        challenge(
            &format!("{X_HEADER}0,a,,1,2\n"),
            &format!("{Y_HEADER}0,10\n1,40\n"),
        ),
        "Y_train.csv",
        3,
        "has only 1",
    );
    expect_err(
        challenge(
            &format!("{X_HEADER}0,a,,1,2\n1,b,,3,4\n"),
            &format!("{Y_HEADER}0,10\n7,40\n"),
        ),
        "Y_train.csv",
        3,
        "index 7 does not match index 1",
    );
}

#[test]
fn duplicate_productid_names_both_lines() {
    let x = format!("{X_HEADER}0,a,\"multi\nline\",1,2\n1,b,,3,4\n2,c,,1,5\n");
    expect_err(
        challenge(&x, &format!("{Y_HEADER}0,10\n1,10\n2,10\n")),
        "X_train.csv",
        5,
        "duplicate productid 1 (first seen on line 2)",
    );
}

#[test]
fn invalid_utf8_and_ragged_rows() {
    let mut bytes = b"designation,description,productid,imageid,prdtypecode\nok,,1,2,10\n".to_vec();
    bytes.extend_from_slice(b"caf\xe9,,3,4,10\n");
    expect_err(merged(&bytes), "merged.csv", 3, "invalid UTF-8");
    expect_err(
        merged(b"designation,description,productid,imageid,prdtypecode\na,,1,2\n"),
        "merged.csv",
        2,
        "expected 5 fields, found 4",
    );
}

#[test]
fn empty_files_and_empty_designations() {
    expect_err(merged(b""), "merged.csv", 1, "empty");
    expect_err(
        merged(b"designation,description,productid,imageid,prdtypecode\n"),
        "merged.csv",
        2,
        "no data rows",
    );
    expect_err(
        merged(b"designation,description,productid,imageid,prdtypecode\n  ,x,1,2,10\n"),
        "merged.csv",
        2,
        "designation is empty",
    );
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = SourceFiles::Merged("/nonexistent/merged.csv".into())
        .read()
        .unwrap_err();
    assert!(
        err.to_string().starts_with("/nonexistent/merged.csv:"),
        "{err}"
    );
}
