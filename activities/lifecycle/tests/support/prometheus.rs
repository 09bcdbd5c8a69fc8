//! Checks of the Prometheus text exposition format, shared by the tests that produce it.
#![allow(dead_code)]

/// Prometheus text exposition format: HELP/TYPE comments, then `name{labels} value` samples of declared metrics.
/// `promtool check metrics` runs too when it is installed.
pub fn check_prometheus_text(text: &str) {
    let mut declared = std::collections::HashSet::new();
    let mut histograms = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["gauge", "counter", "histogram"].contains(&kind), "{line}");
            declared.insert(name.to_string());
            if kind == "histogram" {
                histograms.insert(name.to_string());
            }
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name = series.split('{').next().unwrap();
        // A histogram's samples are its name with _bucket, _sum and _count.
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| histograms.contains(*f)))
            .unwrap_or(name);
        assert!(declared.contains(family), "undeclared metric {name}");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{name}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "{line}"
            );
        }
        assert!(
            value.parse::<f64>().is_ok() || ["NaN", "+Inf", "-Inf"].contains(&value),
            "{line}"
        );
    }
    let promtool = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok();
    // CI installs promtool (.ci/run); there it must run.
    assert!(
        promtool || std::env::var_os("CI").is_none(),
        "promtool is missing in CI"
    );
    if let Ok(out) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(
            out.status.success(),
            "promtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
