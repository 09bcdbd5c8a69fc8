//! Tests on the numeric values themselves: Wasserstein distance normalised by the reference's
//! standard deviation, and the Sturges histogram Evidently bins numeric columns with.

/// `scipy.stats.wasserstein_distance(a, b)` for sorted samples: ∫ |F_a − F_b| dx.
pub fn wasserstein_sorted(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    // Walk the pooled sorted values; between consecutive pooled values both ECDFs are constant.
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a[i] <= b[j]);
        let v = if take_a { a[i] } else { b[j] };
        if let Some(p) = prev {
            total += ((i as f64 / na) - (j as f64 / nb)).abs() * (v - p);
        }
        if take_a {
            i += 1;
        } else {
            j += 1;
        }
        prev = Some(v);
    }
    total
}

/// Population standard deviation (`np.std`, ddof = 0).
pub fn std_ddof0(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

/// Evidently's score: Wasserstein distance divided by max(std(reference), 0.001).
pub fn wasserstein_norm(reference_sorted: &[f64], current_sorted: &[f64]) -> f64 {
    let norm = std_ddof0(reference_sorted).max(0.001);
    wasserstein_sorted(reference_sorted, current_sorted) / norm
}

/// `np.histogram_bin_edges(concat(a, b), bins="sturges")` for sorted samples; `None` if a value is
/// not finite (numpy raises there).
pub fn sturges_edges(a: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = a.len() + b.len();
    if n == 0 {
        return None;
    }
    let lo = a
        .first()
        .copied()
        .unwrap_or(f64::INFINITY)
        .min(b.first().copied().unwrap_or(f64::INFINITY));
    let hi = a
        .last()
        .copied()
        .unwrap_or(f64::NEG_INFINITY)
        .max(b.last().copied().unwrap_or(f64::NEG_INFINITY));
    if !lo.is_finite() || !hi.is_finite() || !(hi - lo).is_finite() {
        return None;
    }
    let (first, last) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let width = (hi - lo) / ((n as f64).log2() + 1.0);
    let bins = if width > 0.0 {
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    Some(linspace(first, last, bins + 1))
}

/// `np.linspace(start, stop, num)` with the endpoint pinned to `stop`.
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    let div = (num - 1) as f64;
    let step = (stop - start) / div;
    let mut out: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = out.last_mut() {
        *last = stop;
    }
    out
}

/// `np.histogram(x, edges)[0] / len(x)` for equal-width edges: the last bin is closed.
pub fn histogram_shares(x: &[f64], edges: &[f64]) -> Vec<f64> {
    let bins = edges.len() - 1;
    let mut counts = vec![0.0; bins];
    let (first, last) = (edges[0], edges[bins]);
    let norm = bins as f64 / (last - first);
    for &v in x {
        if !(first..=last).contains(&v) {
            continue;
        }
        // numpy's fast path: scaled index, then corrected against the actual edges.
        let mut idx = (((v - first) * norm) as usize).min(bins - 1);
        if v < edges[idx] {
            idx -= 1;
        } else if idx + 1 < bins && v >= edges[idx + 1] {
            idx += 1;
        }
        counts[idx] += 1.0;
    }
    let n = x.len() as f64;
    counts.iter().map(|c| c / n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasserstein_matches_scipy() {
        // scipy.stats.wasserstein_distance([1, 2, 3, 10], [2, 2, 5])
        let w = wasserstein_sorted(&[1., 2., 3., 10.], &[2., 2., 5.]);
        assert!((w - 1.8333333333333335).abs() < 1e-12, "{w}");
        assert!((std_ddof0(&[1., 2., 3., 10.]) - 3.5355339059327378).abs() < 1e-12);
        assert_eq!(wasserstein_sorted(&[1., 2.], &[1., 2.]), 0.0);
    }

    #[test]
    fn constant_reference_uses_the_floor() {
        let score = wasserstein_norm(&[3.0; 10], &[3.0, 3.0, 4.0, 4.0]);
        assert!((score - 0.5 / 0.001).abs() < 1e-9);
    }

    #[test]
    fn sturges_matches_numpy() {
        let a: Vec<f64> = (0..10).map(f64::from).collect();
        let edges = sturges_edges(&a, &[10.5]).unwrap();
        let want = [0.0, 2.1, 4.2, 6.300000000000001, 8.4, 10.5];
        assert_eq!(edges, want);
        let shares = histogram_shares(&[0.0, 2.1, 10.5, 10.5], &edges);
        assert_eq!(shares, [0.25, 0.25, 0.0, 0.0, 0.5]);
        // numpy raises on a range it cannot represent; we give no bins.
        assert!(sturges_edges(&[-1e308], &[1e308]).is_none());
        assert!(sturges_edges(&[1.0, f64::INFINITY], &[]).is_none());
        assert_eq!(sturges_edges(&[2.0, 2.0], &[2.0]).unwrap(), [1.5, 2.5]);
    }
}
