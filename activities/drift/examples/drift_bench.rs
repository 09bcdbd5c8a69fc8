//! Times a drift report on CSV files written by `bench/drift_bench.py generate`:
//! `drift_bench --data DIR --out DIR`. Reading the CSVs is not timed (as for Evidently, whose
//! timing starts with the data frames in memory); computing the report and writing
//! `drift_metrics.json` and `drift_report.html` is. Prints one JSON line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use drift::{Column, DriftOptions, DriftReport, Frame};

const NUMERIC: [&str; 4] = [
    "text_len_chars",
    "word_count",
    "confidence",
    "has_description",
];
const CATEGORICAL: [&str; 1] = ["predicted_class"];
const TEXT: [&str; 1] = ["designation"];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(PathBuf::from)
            .with_context(|| format!("missing {flag} DIR"))
    };
    let (data, out) = (arg("--data")?, arg("--out")?);
    let reference = read_frame(&data.join("reference.csv"))?;
    let current = read_frame(&data.join("current.csv"))?;

    let (start, cpu_start) = (Instant::now(), process_cpu_seconds());
    let report = DriftReport::compute(&reference, &current, &DriftOptions::default())?;
    std::fs::write(
        out.join("drift_metrics.json"),
        serde_json::to_vec_pretty(&report.to_json())?,
    )?;
    std::fs::write(
        out.join("drift_report.html"),
        report.to_html("Drift report"),
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds()
        .zip(cpu_start)
        .map(|(end, start)| end - start);

    let columns: serde_json::Map<String, serde_json::Value> = report
        .columns
        .iter()
        .map(|c| {
            let v = serde_json::json!({"stattest": c.stattest_name, "drift_score": c.drift_score,
                                       "drift_detected": c.drift_detected});
            (c.column_name.clone(), v)
        })
        .collect();
    let line = serde_json::json!({"seconds": seconds, "cpu_seconds": cpu_seconds, "columns": columns,
        "share": report.share_of_drifted_columns, "dataset_drift": report.dataset_drift});
    println!("{line}");
    Ok(())
}

/// User + system CPU time of the whole process (all threads, finished ones included), from
/// `/proc/self/stat` in clock ticks of 1/100 s; `None` off Linux.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15 of the line: indices 11 and 12 after the name.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn read_frame(path: &Path) -> anyhow::Result<Frame> {
    let mut reader = csv::Reader::from_path(path).with_context(|| path.display().to_string())?;
    let headers = reader.headers()?.clone();
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    for record in reader.records() {
        for (col, field) in cols.iter_mut().zip(record?.iter()) {
            col.push(field.to_string());
        }
    }
    let mut frame = Frame::new();
    for (name, values) in headers.iter().zip(cols) {
        let column = if NUMERIC.contains(&name) {
            Column::Numerical(
                values
                    .iter()
                    .map(|v| v.parse().unwrap_or(f64::NAN))
                    .collect(),
            )
        } else if CATEGORICAL.contains(&name) {
            Column::Categorical(values.into_iter().map(Some).collect())
        } else if TEXT.contains(&name) {
            Column::Text(values.into_iter().map(Some).collect())
        } else {
            continue;
        };
        frame.push(name, column)?;
    }
    Ok(frame)
}
