//! Charts as server-side SVG: grouped horizontal bars and lines. Each chart is an image with a text label
//! (`role="img"`, `aria-label`) and a legend in HTML; colours match the stylesheet's swatches.

use maud::{Markup, html};

const COLORS: [&str; 4] = ["#0b5cad", "#b35900", "#116329", "#8250df"];

fn legend(series: &[&str]) -> Markup {
    html! {
        @if series.len() > 1 {
            ul.legend {
                @for (i, s) in series.iter().enumerate() {
                    li { span class=(format!("swatch s{}", i % COLORS.len())) {} (s) }
                }
            }
        }
    }
}

/// Horizontal bars: one row per category, one bar per series in it.
pub fn bars(
    label: &str,
    series: &[&str],
    rows: &[(String, Vec<f64>)],
    value_fmt: fn(f64) -> String,
) -> Markup {
    let label_w = 90.0;
    let plot_w = 560.0;
    let value_w = 70.0;
    let bar_h = 9.0;
    let row_h = bar_h * series.len().max(1) as f64 + 6.0;
    let height = row_h * rows.len() as f64 + 10.0;
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let width = label_w + plot_w + value_w;
    html! {
        (legend(series))
        svg.chart role="img" aria-label=(label) viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) {
            @for (i, (name, values)) in rows.iter().enumerate() {
                @let y0 = 5.0 + i as f64 * row_h;
                text x=(label_w - 6.0) y=(y0 + row_h / 2.0) text-anchor="end" dominant-baseline="middle" { (name) }
                @for (j, v) in values.iter().enumerate() {
                    @let w = (v / max * plot_w).max(0.5);
                    @let y = y0 + j as f64 * bar_h;
                    rect x=(label_w) y=(y) width=(format!("{w:.1}")) height=(bar_h - 1.0) fill=(COLORS[j % COLORS.len()]) {
                        title { (name) " · " (series.get(j).copied().unwrap_or("")) ": " (value_fmt(*v)) }
                    }
                    text x=(label_w + w + 4.0) y=(y + bar_h / 2.0) dominant-baseline="middle" { (value_fmt(*v)) }
                }
            }
        }
    }
}

/// Lines over a shared x axis (numbers, e.g. epochs or seconds), with the y range from the data.
pub fn lines(
    label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    x_label: &str,
    x_fmt: fn(f64) -> String,
) -> Markup {
    let (w, h, left, bottom, top, right) = (640.0, 220.0, 52.0, 28.0, 10.0, 16.0);
    let points: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if points.is_empty() {
        return html! { p.notice { (label) ": no data yet." } };
    }
    let (mut x0, mut x1) = (f64::MAX, f64::MIN);
    let (mut y0, mut y1) = (f64::MAX, f64::MIN);
    for (x, y) in &points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-9 {
        y0 -= 0.5;
        y1 += 0.5;
    }
    let pad = (y1 - y0) * 0.05;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
    let sy = |y: f64| top + (1.0 - (y - y0) / (y1 - y0)) * (h - top - bottom);
    let names: Vec<&str> = series.iter().map(|(n, _)| *n).collect();
    html! {
        (legend(&names))
        svg.chart role="img" aria-label=(label) viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) {
            line x1=(left) y1=(h - bottom) x2=(w - right) y2=(h - bottom) stroke="#8c959f" {}
            line x1=(left) y1=(top) x2=(left) y2=(h - bottom) stroke="#8c959f" {}
            @for k in 0..=4 {
                @let v = y0 + (y1 - y0) * k as f64 / 4.0;
                text x=(left - 4.0) y=(sy(v)) text-anchor="end" dominant-baseline="middle" { (format!("{v:.3}")) }
            }
            text x=(left) y=(h - 8.0) { (x_fmt(x0)) }
            text x=(w - right) y=(h - 8.0) text-anchor="end" { (x_fmt(x1)) }
            text x=((left + w - right) / 2.0) y=(h - 8.0) text-anchor="middle" { (x_label) }
            @for (i, (name, pts)) in series.iter().enumerate() {
                @let path = pts.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect::<Vec<_>>().join(" ");
                polyline points=(path) fill="none" stroke=(COLORS[i % COLORS.len()]) stroke-width="2" {}
                @for (x, y) in pts {
                    circle cx=(format!("{:.1}", sx(*x))) cy=(format!("{:.1}", sy(*y))) r="2.5" fill=(COLORS[i % COLORS.len()]) {
                        title { (name) ": " (x_fmt(*x)) " → " (format!("{y:.4}")) }
                    }
                }
            }
        }
    }
}

pub fn int(v: f64) -> String {
    format!("{v:.0}")
}

pub fn frac(v: f64) -> String {
    format!("{v:.3}")
}
