//! Runs every golden fixture in `<repo>/../shared/fixtures/drift` (or
//! `$RAKUTEN_SHARED_DIR/fixtures/drift`) and compares with Evidently's results.

use std::path::PathBuf;

fn fixtures_dir() -> PathBuf {
    let shared = std::env::var_os("RAKUTEN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("fixtures/drift")
}

/// The cases the fixture README lists; each must be present and readable.
const CASES: [&str; 31] = [
    "chisquare_borderline_drift",
    "chisquare_borderline_nodrift",
    "constant_columns_large",
    "constant_columns_small",
    "few_unique_numeric_large",
    "few_unique_numeric_small",
    "js_binary_borderline_drift",
    "js_categorical_borderline_drift",
    "js_categorical_borderline_nodrift",
    "ks_asymptotic_large_current",
    "ks_borderline",
    "large_clear_drift_full_log",
    "large_half_drift_nref_1001",
    "large_nodrift_full_log",
    "nan_present_small",
    "nan_shifts_size_rule",
    "nondefault_js_numeric_sturges",
    "small_clear_drift_full_log",
    "small_nodrift_full_log",
    "small_partial_drift_nref_1000",
    "small_ref_large_cur",
    "text_abs_nodrift_large",
    "text_perc_drift_small",
    "tiny_samples",
    "unique_count_boundary_small",
    "unseen_categories_large",
    "unseen_categories_small",
    "very_large_n",
    "wasserstein_borderline",
    "z_borderline_drift",
    "z_borderline_nodrift",
];

#[test]
fn every_fixture_matches_evidently() {
    let dir = fixtures_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read fixture folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for case in CASES {
        if !files
            .iter()
            .any(|p| p.file_stem().is_some_and(|s| s == case))
        {
            failures.push(format!("{case}: fixture file missing"));
        }
    }
    for path in &files {
        let case = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        match drift::check_fixture(path) {
            Err(e) => failures.push(format!("{case}: {e}")),
            Ok(mismatches) => failures.extend(mismatches.into_iter().map(|m| {
                format!(
                    "{case} / {}: {} expected {} got {}",
                    m.column, m.field, m.expected, m.got
                )
            })),
        }
    }
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} fixture mismatch(es) over {} files:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn run_fixture_prints_fixture_field_names() {
    let value = drift::run_fixture(&fixtures_dir().join("ks_borderline.json")).expect("runs");
    let col = &value["columns"]["confidence"];
    for field in [
        "stattest_name",
        "drift_score",
        "threshold",
        "drift_detected",
    ] {
        assert!(!col[field].is_null(), "missing {field}");
    }
    assert_eq!(value["dataset"]["share_of_drifted_columns"], 0.5);
    assert!(drift::run_fixture(&fixtures_dir().join("no_such_case.json")).is_err());
}

/// Beyond the fixture contract (text is compared by decision only): our domain classifier
/// reproduces Evidently's AUC and its random-classifier cut-off.
#[test]
fn text_scores_equal_evidentlys() {
    for case in ["text_perc_drift_small", "text_abs_nodrift_large"] {
        let path = fixtures_dir().join(format!("{case}.json"));
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("json");
        let expected = &fixture["expected"]["designation"];
        let ours = drift::run_fixture(&path).expect("runs");
        let auc = ours["columns"]["designation"]["drift_score"]
            .as_f64()
            .expect("score");
        let want = expected["drift_score_evidently_informational"]
            .as_f64()
            .expect("auc");
        assert!(
            (auc - want).abs() < 1e-9,
            "{case}: AUC {auc} vs Evidently {want}"
        );
    }
}
