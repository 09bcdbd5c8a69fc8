//! Golden fixtures computed with Evidently (`../shared/fixtures/drift/`): run one, and compare our
//! results with Evidently's under the fixture's tolerance rules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Column, ColumnType, DriftError, DriftOptions, DriftReport, Frame, StatTest};

/// Relative and absolute tolerance on non-text scores (the fixture README's rule).
pub const SCORE_RTOL: f64 = 1e-6;
pub const SCORE_ATOL: f64 = 1e-12;

#[derive(Debug, Deserialize)]
struct FixtureFile {
    case: String,
    #[serde(default)]
    options: Option<FixtureOptions>,
    columns: HashMap<String, FixtureColumn>,
    #[serde(default)]
    expected: HashMap<String, Value>,
    #[serde(default)]
    dataset: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct FixtureOptions {
    #[serde(default)]
    per_column_stattest: HashMap<String, String>,
    #[serde(default)]
    drift_share: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct FixtureColumn {
    #[serde(rename = "type")]
    column_type: String,
    reference: Vec<Value>,
    current: Vec<Value>,
}

/// Runs the drift tests on a fixture file. Returns, in the fixture's field names,
/// `{"case", "columns": {name: {stattest, stattest_name, drift_score, threshold, drift_detected}},
/// "dataset": {number_of_columns, number_of_drifted_columns, share_of_drifted_columns,
/// dataset_drift, drift_share_threshold}}`. Text columns also carry `details` with
/// `domain_classifier_roc_auc` (their score) and, for the percentile test,
/// `random_classifier_auc_95th_percentile`.
pub fn run_fixture(path: &Path) -> Result<Value, DriftError> {
    let fixture = read(path)?;
    let report = compute(path, &fixture)?;
    Ok(to_value(&fixture.case, &report))
}

/// One disagreement between our result and Evidently's.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Column name, or `dataset`.
    pub column: String,
    pub field: &'static str,
    pub expected: Value,
    pub got: Value,
}

/// Runs a fixture and lists every disagreement with its `expected` block: test id, name and
/// threshold exactly, scores within tolerance (unless `compare` is `decision_only`), decisions
/// exactly, and the dataset share and verdict exactly.
pub fn check_fixture(path: &Path) -> Result<Vec<Mismatch>, DriftError> {
    let fixture = read(path)?;
    let report = compute(path, &fixture)?;
    let mut out = Vec::new();
    let mut push = |column: &str, field, expected: &Value, got: Value| {
        out.push(Mismatch {
            column: column.to_string(),
            field,
            expected: expected.clone(),
            got,
        })
    };
    if fixture.expected.is_empty() {
        return Err(invalid(path, "no `expected` block"));
    }
    let mut names: Vec<&String> = fixture.expected.keys().collect();
    names.sort();
    for name in names {
        let exp = &fixture.expected[name];
        let Some(got) = report.column(name) else {
            push(name, "column", exp, Value::Null);
            continue;
        };
        let got_v = serde_json::to_value(got)?;
        for field in ["stattest", "stattest_name", "threshold", "drift_detected"] {
            if exp.get(field) != got_v.get(field) {
                let g = got_v.get(field).cloned().unwrap_or(Value::Null);
                push(name, field, exp.get(field).unwrap_or(&Value::Null), g);
            }
        }
        let decision_only = exp.get("compare").and_then(Value::as_str) == Some("decision_only");
        if !decision_only {
            let want = exp.get("drift_score").and_then(Value::as_f64);
            let ok = match (want, got.drift_score) {
                (Some(w), Some(g)) => (g - w).abs() <= SCORE_RTOL * w.abs() + SCORE_ATOL,
                (None, None) => true,
                _ => false,
            };
            if !ok {
                push(
                    name,
                    "drift_score",
                    exp.get("drift_score").unwrap_or(&Value::Null),
                    json!(got.drift_score),
                );
            }
        }
    }
    if let Some(ds) = &fixture.dataset {
        let got = to_value(&fixture.case, &report)["dataset"].clone();
        for field in [
            "number_of_columns",
            "number_of_drifted_columns",
            "dataset_drift",
        ] {
            if ds.get(field) != got.get(field) {
                push(
                    "dataset",
                    field,
                    ds.get(field).unwrap_or(&Value::Null),
                    got[field].clone(),
                );
            }
        }
        let share = ds.get("share_of_drifted_columns").and_then(Value::as_f64);
        if share != Some(report.share_of_drifted_columns) {
            push(
                "dataset",
                "share_of_drifted_columns",
                &json!(share),
                json!(report.share_of_drifted_columns),
            );
        }
    }
    Ok(out)
}

fn read(path: &Path) -> Result<FixtureFile, DriftError> {
    let text = std::fs::read_to_string(path).map_err(|source| DriftError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, &e.to_string()))
}

fn invalid(path: &Path, reason: &str) -> DriftError {
    DriftError::Fixture {
        path: PathBuf::from(path),
        reason: reason.to_string(),
    }
}

fn compute(path: &Path, fixture: &FixtureFile) -> Result<DriftReport, DriftError> {
    let mut names: Vec<&String> = fixture.columns.keys().collect();
    names.sort();
    let (mut reference, mut current) = (Frame::new(), Frame::new());
    for name in names {
        let col = &fixture.columns[name];
        reference.push(
            name.as_str(),
            to_column(path, name, &col.column_type, &col.reference)?,
        )?;
        current.push(
            name.as_str(),
            to_column(path, name, &col.column_type, &col.current)?,
        )?;
    }
    let mut options = DriftOptions::default();
    if let Some(opts) = &fixture.options {
        for (col, test) in &opts.per_column_stattest {
            options
                .per_column_stattest
                .insert(col.clone(), test.parse::<StatTest>()?);
        }
        if let Some(share) = opts.drift_share {
            options.drift_share = share;
        }
    }
    DriftReport::compute(&reference, &current, &options)
}

fn to_column(path: &Path, name: &str, kind: &str, values: &[Value]) -> Result<Column, DriftError> {
    let bad = |v: &Value| invalid(path, &format!("column `{name}`: unexpected value {v}"));
    match kind {
        "numerical" => values
            .iter()
            .map(|v| match v {
                Value::Null => Ok(f64::NAN),
                Value::Number(n) => n.as_f64().ok_or_else(|| bad(v)),
                _ => Err(bad(v)),
            })
            .collect::<Result<_, _>>()
            .map(Column::Numerical),
        "categorical" | "text" => {
            let strings = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    Value::Number(n) => Ok(Some(n.to_string())),
                    _ => Err(bad(v)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if kind == "text" {
                Column::Text(strings)
            } else {
                Column::Categorical(strings)
            })
        }
        other => Err(invalid(
            path,
            &format!("column `{name}`: unknown type `{other}`"),
        )),
    }
}

fn to_value(case: &str, report: &DriftReport) -> Value {
    let columns: serde_json::Map<String, Value> = report
        .columns
        .iter()
        .map(|c| {
            let mut v = json!({
                "stattest": c.stattest.id(),
                "stattest_name": c.stattest_name,
                "drift_score": c.drift_score,
                "threshold": c.threshold,
                "drift_detected": c.drift_detected,
            });
            if c.column_type == ColumnType::Text {
                let mut details = json!({"domain_classifier_roc_auc": c.drift_score});
                if let Some(cut) = c.text_auc_cutoff {
                    details["random_classifier_auc_95th_percentile"] = json!(cut);
                }
                v["details"] = details;
            }
            (c.column_name.clone(), v)
        })
        .collect();
    json!({
        "case": case,
        "columns": columns,
        "dataset": {
            "number_of_columns": report.number_of_columns,
            "number_of_drifted_columns": report.number_of_drifted_columns,
            "share_of_drifted_columns": report.share_of_drifted_columns,
            "dataset_drift": report.dataset_drift,
            "drift_share_threshold": report.drift_share,
        },
    })
}
