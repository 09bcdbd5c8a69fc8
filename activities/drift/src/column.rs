//! Drift of one column: Evidently's cleaning, its test selection, the test itself, and the data
//! the HTML page plots.

use serde::Serialize;

use crate::stats::counts::{self, ValueCounts};
use crate::stats::{ks, numeric};
use crate::{Column, ColumnType, DriftError, StatTest, text};

/// Categories shown in a chart; the rest are summed as "other".
const MAX_PLOTTED_CATEGORIES: usize = 20;
/// Bins of the numeric charts.
const PLOT_BINS: usize = 30;

/// The drift result of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDrift {
    pub column_name: String,
    pub column_type: ColumnType,
    /// Evidently's registry id of the test.
    pub stattest: StatTest,
    /// Evidently's display name of the test.
    pub stattest_name: &'static str,
    /// p-value, distance or ROC AUC; `None` when it cannot be computed (e.g. an empty side).
    pub drift_score: Option<f64>,
    pub threshold: f64,
    pub drift_detected: bool,
    /// Values tested after dropping missing values.
    pub n_reference: usize,
    pub n_current: usize,
    /// Distinct values over both sides (not computed for text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_unique: Option<usize>,
    /// Text percentile test: the random-classifier AUC the score was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_auc_cutoff: Option<f64>,
    /// Why no score could be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub chart: Chart,
}

/// Shares per bin or category of both samples, for the HTML page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chart {
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// How a column is tested: an explicit test and/or threshold, or Evidently's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ColumnSettings {
    pub stattest: Option<StatTest>,
    pub threshold: Option<f64>,
    pub text_seed: u32,
}

enum Cleaned<'a> {
    Numbers(Vec<f64>, Vec<f64>),
    Strings(Vec<&'a str>, Vec<&'a str>),
}

/// Computes the drift of one column. Errors only for a test that does not fit the column type.
pub(crate) fn column_drift(
    name: &str,
    reference: &Column,
    current: &Column,
    settings: ColumnSettings,
) -> Result<ColumnDrift, DriftError> {
    let column_type = reference.column_type();
    let cleaned = match (reference, current) {
        (Column::Numerical(r), Column::Numerical(c)) => {
            Cleaned::Numbers(clean_numbers(r), clean_numbers(c))
        }
        (Column::Categorical(r), Column::Categorical(c)) | (Column::Text(r), Column::Text(c)) => {
            Cleaned::Strings(clean_strings(r), clean_strings(c))
        }
        _ => {
            return Err(DriftError::ColumnTypeMismatch {
                column: name.to_string(),
                reference: column_type.as_str(),
                current: current.column_type().as_str(),
            });
        }
    };
    let (n_reference, n_current) = match &cleaned {
        Cleaned::Numbers(r, c) => (r.len(), c.len()),
        Cleaned::Strings(r, c) => (r.len(), c.len()),
    };
    let value_counts = match &cleaned {
        Cleaned::Strings(r, c) if column_type == ColumnType::Categorical => {
            Some(ValueCounts::from_strings(r, c))
        }
        _ => None,
    };
    let n_unique = match &cleaned {
        Cleaned::Numbers(r, c) => Some(count_distinct(r, c)),
        Cleaned::Strings(..) => value_counts.as_ref().map(|v| v.keys.len()),
    };
    let stattest = match settings.stattest {
        Some(t) if !t.allows(column_type) => {
            return Err(DriftError::InvalidStatTestForType {
                stattest: t.id(),
                column: name.to_string(),
                column_type: column_type.as_str(),
            });
        }
        Some(t) => t,
        None => StatTest::default_for(column_type, n_reference, n_unique.unwrap_or(0)),
    };
    let threshold = settings.threshold.unwrap_or(stattest.default_threshold());
    let mut out = ColumnDrift {
        column_name: name.to_string(),
        column_type,
        stattest,
        stattest_name: stattest.display_name(),
        drift_score: None,
        threshold,
        drift_detected: false,
        n_reference,
        n_current,
        n_unique,
        text_auc_cutoff: None,
        note: None,
        chart: Chart::default(),
    };
    if n_reference == 0 || n_current == 0 {
        out.note = Some("no non-missing values on one side; nothing to test".into());
        return Ok(out);
    }
    let score = match &cleaned {
        Cleaned::Numbers(r, c) => {
            out.chart = numeric_chart(r, c);
            let counts = || ValueCounts::from_sorted_numbers(r, c);
            numeric_score(stattest, r, c, counts)
        }
        Cleaned::Strings(r, c) if column_type == ColumnType::Text => {
            let result = text::text_drift(r, c, stattest, threshold, settings.text_seed);
            out.text_auc_cutoff = result
                .filter(|_| stattest == StatTest::PercTextContentDrift)
                .map(|t| t.cutoff);
            out.drift_score = result.map(|t| t.roc_auc).filter(|s| s.is_finite());
            out.drift_detected = result.is_some_and(|t| t.drift_detected);
            return Ok(out);
        }
        Cleaned::Strings(..) => {
            let vc = value_counts.unwrap_or_else(|| ValueCounts::from_strings::<&str>(&[], &[]));
            out.chart = category_chart(&vc);
            counts_score(stattest, &vc)
        }
    };
    out.drift_score = score.is_finite().then_some(score);
    out.drift_detected = stattest.detects(score, threshold);
    Ok(out)
}

/// Evidently drops NaN and ±inf only when the column contains a NaN; a column with ±inf and no
/// NaN keeps them. Returned sorted.
fn clean_numbers(values: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = if values.iter().any(|v| v.is_nan()) {
        values.iter().copied().filter(|v| v.is_finite()).collect()
    } else {
        values.to_vec()
    };
    sort_floats(&mut out);
    out
}

/// Sorts in `f64::total_cmp` order by a radix sort on order-preserving integer keys (the
/// columns are large; this is several times faster than a comparison sort).
fn sort_floats(values: &mut Vec<f64>) {
    if values.len() < 256 {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let key = |x: f64| {
        let b = x.to_bits();
        if b >> 63 == 1 { !b } else { b | (1 << 63) }
    };
    let unkey = |k: u64| f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k });
    let mut keys: Vec<u64> = values.iter().map(|x| key(*x)).collect();
    let mut scratch = vec![0u64; keys.len()];
    for shift in (0..64).step_by(16) {
        let mut counts = vec![0usize; 1 << 16];
        for k in &keys {
            counts[((k >> shift) & 0xffff) as usize] += 1;
        }
        if counts.contains(&keys.len()) {
            // Every key has the same digit here: the pass would not move anything.
            continue;
        }
        let mut offset = 0;
        for c in counts.iter_mut() {
            (*c, offset) = (offset, offset + *c);
        }
        for k in &keys {
            let digit = ((k >> shift) & 0xffff) as usize;
            scratch[counts[digit]] = *k;
            counts[digit] += 1;
        }
        std::mem::swap(&mut keys, &mut scratch);
    }
    values.clear();
    values.extend(keys.into_iter().map(unkey));
}

fn clean_strings(values: &[Option<String>]) -> Vec<&str> {
    values.iter().filter_map(|v| v.as_deref()).collect()
}

/// Distinct values over two sorted samples, by a merge walk (NaN-free input).
fn count_distinct(a: &[f64], b: &[f64]) -> usize {
    crate::stats::counts::SortedRuns::new(a, b).count()
}

fn numeric_score(
    stattest: StatTest,
    r: &[f64],
    c: &[f64],
    counts: impl Fn() -> ValueCounts,
) -> f64 {
    match stattest {
        StatTest::Ks => ks::ks_2samp_sorted(r, c).map_or(f64::NAN, |k| k.p_value),
        StatTest::Wasserstein => numeric::wasserstein_norm(r, c),
        StatTest::JensenShannon | StatTest::Psi => {
            // Evidently bins by Sturges when the reference has more than 20 distinct values.
            let (pr, pc) = if count_distinct(r, &[]) > 20 {
                match numeric::sturges_edges(r, c) {
                    Some(edges) => (
                        numeric::histogram_shares(r, &edges),
                        numeric::histogram_shares(c, &edges),
                    ),
                    None => return f64::NAN,
                }
            } else {
                counts().shares()
            };
            if stattest == StatTest::Psi {
                counts::psi(&pr, &pc)
            } else {
                counts::jensen_shannon(&pr, &pc)
            }
        }
        StatTest::ChiSquare | StatTest::Z => counts_score(stattest, &counts()),
        StatTest::PercTextContentDrift | StatTest::AbsTextContentDrift => f64::NAN,
    }
}

fn counts_score(stattest: StatTest, vc: &ValueCounts) -> f64 {
    match stattest {
        StatTest::ChiSquare => counts::chi_square(vc),
        StatTest::Z => counts::z_test(vc),
        StatTest::JensenShannon => {
            let (pr, pc) = vc.shares();
            counts::jensen_shannon(&pr, &pc)
        }
        StatTest::Psi => {
            let (pr, pc) = vc.shares();
            counts::psi(&pr, &pc)
        }
        _ => f64::NAN,
    }
}

fn numeric_chart(r: &[f64], c: &[f64]) -> Chart {
    // Sorted input: any ±inf sit at the ends.
    let finite = |v: &[f64]| -> (usize, usize) {
        let lo = v.iter().take_while(|x| !x.is_finite()).count();
        let hi = v.len() - v.iter().rev().take_while(|x| !x.is_finite()).count();
        (lo, hi.max(lo))
    };
    let ((rl, rh), (cl, ch)) = (finite(r), finite(c));
    let (r, c) = (&r[rl..rh], &c[cl..ch]);
    let distinct = count_distinct(r, c);
    if distinct <= MAX_PLOTTED_CATEGORIES {
        return category_chart(&ValueCounts::from_sorted_numbers(r, c));
    }
    let lo = r
        .first()
        .copied()
        .unwrap_or(0.0)
        .min(c.first().copied().unwrap_or(0.0));
    let hi = r
        .last()
        .copied()
        .unwrap_or(0.0)
        .max(c.last().copied().unwrap_or(0.0));
    let edges: Vec<f64> = (0..=PLOT_BINS)
        .map(|i| lo + (hi - lo) * i as f64 / PLOT_BINS as f64)
        .collect();
    Chart {
        labels: edges[..PLOT_BINS]
            .iter()
            .map(|e| format!("{e:.4}"))
            .collect(),
        reference: numeric::histogram_shares(r, &edges),
        current: numeric::histogram_shares(c, &edges),
    }
}

fn category_chart(vc: &ValueCounts) -> Chart {
    let (pr, pc) = vc.shares();
    let mut order: Vec<usize> = (0..vc.keys.len()).collect();
    order.sort_by(|a, b| (pr[*b] + pc[*b]).total_cmp(&(pr[*a] + pc[*a])));
    let mut chart = Chart::default();
    for (rank, i) in order.into_iter().enumerate() {
        if rank < MAX_PLOTTED_CATEGORIES {
            chart.labels.push(vc.keys[i].clone());
            chart.reference.push(pr[i]);
            chart.current.push(pc[i]);
        } else {
            if chart.labels.len() == MAX_PLOTTED_CATEGORIES {
                chart.labels.push("other".into());
                chart.reference.push(0.0);
                chart.current.push(0.0);
            }
            chart.reference[MAX_PLOTTED_CATEGORIES] += pr[i];
            chart.current[MAX_PLOTTED_CATEGORIES] += pc[i];
        }
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ColumnSettings {
        ColumnSettings::default()
    }

    #[test]
    fn radix_sort_matches_total_cmp() {
        let mut values: Vec<f64> = (0..5000)
            .map(|i| ((i * 7919) % 1013) as f64 * if i % 3 == 0 { -0.37 } else { 1.1 })
            .chain([f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 1e-300, -1e300])
            .collect();
        let mut want = values.clone();
        want.sort_unstable_by(f64::total_cmp);
        sort_floats(&mut values);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&values), bits(&want));
    }

    #[test]
    fn nan_drops_inf_too_but_inf_alone_stays() {
        assert_eq!(clean_numbers(&[1.0, f64::NAN, f64::INFINITY]), [1.0]);
        assert_eq!(clean_numbers(&[f64::INFINITY, 1.0]), [1.0, f64::INFINITY]);
    }

    #[test]
    fn all_missing_side_gives_a_result_without_score() {
        let r = Column::Numerical(vec![1.0, 2.0, 3.0]);
        let c = Column::Numerical(vec![f64::NAN; 3]);
        let d = column_drift("x", &r, &c, settings()).unwrap();
        assert_eq!(d.drift_score, None);
        assert!(!d.drift_detected && d.note.is_some());
    }

    #[test]
    fn wrong_test_for_type_is_an_error() {
        let r = Column::Numerical(vec![1.0, 2.0, 3.0]);
        let s = ColumnSettings {
            stattest: Some(StatTest::ChiSquare),
            ..settings()
        };
        assert!(matches!(
            column_drift("x", &r, &r, s),
            Err(DriftError::InvalidStatTestForType { .. })
        ));
    }

    #[test]
    fn constant_equal_columns_do_not_drift() {
        let r = Column::Categorical(vec![Some("a".into()); 50]);
        let d = column_drift("x", &r, &r, settings()).unwrap();
        assert_eq!((d.stattest, d.drift_score), (StatTest::Z, Some(1.0)));
        let n = Column::Numerical(vec![4.0; 2000]);
        let d = column_drift("n", &n, &n, settings()).unwrap();
        assert_eq!(
            (d.stattest, d.drift_score),
            (StatTest::JensenShannon, Some(0.0))
        );
    }
}
