use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::*;

fn counts(rows: &[GeneratedRow]) -> HashMap<i64, usize> {
    let mut counts = HashMap::new();
    for row in rows {
        *counts.entry(row.prdtypecode).or_default() += 1;
    }
    counts
}

fn read_back(x_path: &Path, y_path: &Path) -> Vec<GeneratedRow> {
    let mut x = csv::Reader::from_path(x_path).unwrap();
    let mut y = csv::Reader::from_path(y_path).unwrap();
    x.records()
        .zip(y.records())
        .map(|(x, y)| {
            let (x, y) = (x.unwrap(), y.unwrap());
            assert_eq!(x[0], y[0], "X and Y disagree on the index");
            GeneratedRow {
                index: x[0].parse().unwrap(),
                designation: x[1].to_string(),
                description: x[2].to_string(),
                productid: x[3].parse().unwrap(),
                imageid: x[4].parse().unwrap(),
                prdtypecode: y[1].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn class_counts_sum_to_the_full_training_set() {
    assert_eq!(
        CLASS_COUNTS.iter().map(|(_, n)| n).sum::<usize>(),
        FULL_TRAINING_ROWS
    );
    let codes: Vec<i64> = vocab::classes().iter().map(|c| c.code).collect();
    assert_eq!(codes, CLASS_COUNTS.map(|(code, _)| code).to_vec());
}

#[test]
fn full_size_matches_the_real_counts_and_writes_quickly() {
    let started = Instant::now();
    let rows = generate(FULL_TRAINING_ROWS, 7);
    let dir = tempfile::tempdir().unwrap();
    write_challenge_files(dir.path(), &rows).unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed.as_secs() < 20,
        "generating and writing took {elapsed:?}"
    );

    let counts = counts(&rows);
    for (code, expected) in CLASS_COUNTS {
        assert_eq!(counts[&code], expected, "class {code}");
    }
    let ids: HashSet<i64> = rows.iter().map(|r| r.productid).collect();
    assert_eq!(ids.len(), rows.len(), "productids must be unique");
    assert!(
        rows.iter()
            .all(|r| (1_000_000..4_300_000_000).contains(&r.productid))
    );
    assert!(
        rows.iter()
            .all(|r| (1_000_000..1_300_000_000).contains(&r.imageid))
    );
    assert!(rows.iter().enumerate().all(|(i, r)| r.index == i));
}

#[test]
fn same_seed_same_bytes_other_seed_other_rows() {
    let a = generate(2_000, 42);
    assert_eq!(a, generate(2_000, 42));
    assert_ne!(a, generate(2_000, 43));

    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (x1, y1) = write_challenge_files(one.path(), &a).unwrap();
    let (x2, y2) = write_challenge_files(two.path(), &generate(2_000, 42)).unwrap();
    assert_eq!(fs::read(x1).unwrap(), fs::read(x2).unwrap());
    assert_eq!(fs::read(y1).unwrap(), fs::read(y2).unwrap());
}

#[test]
fn every_class_is_present_from_27_rows() {
    for rows in [27, 28, 50, 100, 999, 20_000] {
        let generated = generate(rows, 1);
        assert_eq!(generated.len(), rows);
        assert_eq!(counts(&generated).len(), 27, "{rows} rows");
    }
    assert_eq!(generate(10, 1).len(), 10);
    assert!(generate(0, 1).is_empty());
}

#[test]
fn sizes_stay_proportional() {
    let sizes = class_sizes(20_000);
    for (class, &(_, full)) in CLASS_COUNTS.iter().enumerate() {
        let expected = full as f64 * 20_000.0 / FULL_TRAINING_ROWS as f64;
        assert!(
            (sizes[class] as f64 - expected).abs() < 1.0,
            "class {class}"
        );
    }
}

#[test]
fn about_a_third_of_descriptions_are_empty_and_about_one_percent_repeat() {
    let rows = generate(20_000, 3);
    let empty = rows.iter().filter(|r| r.description.is_empty()).count() as f64 / rows.len() as f64;
    assert!((0.28..0.40).contains(&empty), "empty share {empty}");

    let distinct: HashSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.designation.as_str(), r.description.as_str()))
        .collect();
    let repeated = 1.0 - distinct.len() as f64 / rows.len() as f64;
    assert!(
        (0.005..0.03).contains(&repeated),
        "repeated share {repeated}"
    );
}

#[test]
fn descriptions_look_like_seller_html() {
    let rows = generate(5_000, 9);
    let all: String = rows.iter().map(|r| r.description.as_str()).collect();
    for needle in [
        "<p>", "<br />", "<ul>", "<li>", "<b>", "&eacute;", "&amp;", "&#39;", "\n", "\"",
    ] {
        assert!(all.contains(needle), "no description contains {needle:?}");
    }
    assert!(
        rows.iter()
            .all(|r| !r.designation.is_empty() && !r.designation.contains('{'))
    );
    assert!(rows.iter().all(|r| !r.description.contains('{')));
}

#[test]
fn written_files_have_challenge_headers_and_parse_back() {
    let rows = generate(3_000, 11);
    let dir = tempfile::tempdir().unwrap();
    let (x_path, y_path) = write_challenge_files(dir.path(), &rows).unwrap();
    assert_eq!(x_path, dir.path().join("X_train.csv"));
    assert_eq!(y_path, dir.path().join("Y_train.csv"));

    let x = fs::read_to_string(&x_path).unwrap();
    let y = fs::read_to_string(&y_path).unwrap();
    assert!(
        x.starts_with(",designation,description,productid,imageid\n0,"),
        "{}",
        &x[..60]
    );
    assert!(y.starts_with(",prdtypecode\n0,"), "{}", &y[..30]);
    assert_eq!(y.lines().count(), rows.len() + 1);
    assert!(rows.iter().any(|r| r.description.contains('\n')));

    assert_eq!(read_back(&x_path, &y_path), rows);
    assert!(!dir.path().join("X_train.csv.partial").exists());
}
