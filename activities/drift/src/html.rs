//! The report as one self-contained HTML page: inline CSS and SVG, no scripts, no external assets.

use std::fmt::Write;

use crate::{Chart, ColumnDrift, DriftReport};

const REF_COLOR: &str = "#4c78a8";
const CUR_COLOR: &str = "#f58518";
const CHART_W: f64 = 640.0;
const CHART_H: f64 = 180.0;

/// Renders the report page.
pub fn render(report: &DriftReport, title: &str) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let verdict = if report.dataset_drift {
        "<span class=\"bad\">Dataset drift detected</span>"
    } else {
        "<span class=\"ok\">No dataset drift</span>"
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{CSS}</style></head><body>\n<h1>{t}</h1>\n<p class=\"verdict\">{verdict}</p>\n\
         <p>{d} of {n} columns drifted (share {s:.3}; dataset drift when share &ge; {th}). \
         Reference rows: {nr}, current rows: {nc}.</p>\n",
        t = escape(title),
        d = report.number_of_drifted_columns,
        n = report.number_of_columns,
        s = report.share_of_drifted_columns,
        th = report.drift_share,
        nr = report.n_reference_rows,
        nc = report.n_current_rows,
    );
    h.push_str(
        "<table><thead><tr><th>column</th><th>type</th><th>test</th><th>score</th>\
         <th>threshold</th><th>drift</th><th>n ref</th><th>n cur</th></tr></thead><tbody>\n",
    );
    for c in &report.columns {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#col-{id}\">{name}</a></td><td>{ty}</td><td>{test}</td><td>{score}</td>\
             <td>{thr}</td><td>{drift}</td><td>{nr}</td><td>{nc}</td></tr>",
            id = anchor(&c.column_name),
            name = escape(&c.column_name),
            ty = c.column_type.as_str(),
            test = escape(c.stattest_name),
            score = c
                .drift_score
                .map_or("n/a".to_string(), |s| format!("{s:.6}")),
            thr = c.text_auc_cutoff.unwrap_or(c.threshold),
            drift = if c.drift_detected {
                "<span class=\"bad\">detected</span>"
            } else {
                "<span class=\"ok\">not detected</span>"
            },
            nr = c.n_reference,
            nc = c.n_current,
        );
    }
    h.push_str("</tbody></table>\n");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span style=\"background:{REF_COLOR}\"></span>reference \
         <span style=\"background:{CUR_COLOR}\"></span>current</p>"
    );
    for c in &report.columns {
        column_section(&mut h, c);
    }
    h.push_str("</body></html>\n");
    h
}

fn column_section(h: &mut String, c: &ColumnDrift) {
    let _ = writeln!(
        h,
        "<section id=\"col-{}\"><h2>{}</h2>",
        anchor(&c.column_name),
        escape(&c.column_name)
    );
    if let Some(note) = &c.note {
        let _ = writeln!(h, "<p>{}</p>", escape(note));
    }
    if let (Some(auc), Some(cut)) = (c.drift_score, c.text_auc_cutoff) {
        let _ = writeln!(
            h,
            "<p>Domain classifier ROC AUC {auc:.4} against a random-classifier cut-off of {cut:.4}.</p>"
        );
    } else if c.column_type == crate::ColumnType::Text {
        let _ = writeln!(
            h,
            "<p>Domain classifier ROC AUC against an absolute cut-off of {}.</p>",
            c.threshold
        );
    }
    if !c.chart.labels.is_empty() {
        svg_bars(h, &c.chart);
    }
    h.push_str("</section>\n");
}

/// Grouped bars (reference, current) of the share of each bin or category.
fn svg_bars(h: &mut String, chart: &Chart) {
    let n = chart.labels.len();
    let max = chart
        .reference
        .iter()
        .chain(&chart.current)
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-12);
    let (left, bottom, top) = (40.0, 40.0, 10.0);
    let plot_h = CHART_H - bottom - top;
    let slot = (CHART_W - left) / n as f64;
    let bar = (slot * 0.4).max(0.5);
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{CHART_W}\" height=\"{CHART_H}\" \
         role=\"img\"><line x1=\"{left}\" y1=\"{y0}\" x2=\"{CHART_W}\" y2=\"{y0}\" stroke=\"#888\"/>\
         <text x=\"0\" y=\"{ty}\" class=\"axis\">{max:.3}</text>",
        y0 = top + plot_h,
        ty = top + 8.0,
    );
    for i in 0..n {
        let x = left + i as f64 * slot;
        for (k, (values, color)) in [(&chart.reference, REF_COLOR), (&chart.current, CUR_COLOR)]
            .into_iter()
            .enumerate()
        {
            let v = values.get(i).copied().unwrap_or(0.0);
            let bh = plot_h * v / max;
            let _ = write!(
                h,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"{color}\">\
                 <title>{}: {v:.4}</title></rect>",
                x + slot * 0.1 + k as f64 * bar,
                top + plot_h - bh,
                escape(&chart.labels[i]),
            );
        }
        if n <= 30 && (n <= 12 || i % 3 == 0) {
            let label: String = chart.labels[i].chars().take(10).collect();
            let _ = write!(
                h,
                "<text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" transform=\"rotate(30 {:.1} {:.1})\">{}</text>",
                x + 2.0,
                top + plot_h + 12.0,
                x + 2.0,
                top + plot_h + 12.0,
                escape(&label)
            );
        }
    }
    h.push_str("</svg>\n");
}

fn anchor(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}\
.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}.verdict{font-size:1.3em}\
.axis{font-size:10px;fill:#555}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, DriftOptions, Frame};

    #[test]
    fn page_is_self_contained_and_escaped() {
        let f = |v: Vec<f64>| Frame::new().with("<len>", Column::Numerical(v)).unwrap();
        let r = DriftReport::compute(
            &f((0..50).map(f64::from).collect()),
            &f((10..60).map(f64::from).collect()),
            &DriftOptions::default(),
        )
        .unwrap();
        let page = r.to_html("Drift & <test>");
        assert!(page.contains("&lt;len&gt;") && page.contains("Drift &amp; &lt;test&gt;"));
        assert!(page.contains("<svg") && !page.contains("<script") && !page.contains("src="));
    }
}
