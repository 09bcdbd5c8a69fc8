//! Two-sample Kolmogorov–Smirnov test as `scipy.stats.ks_2samp(ref, cur)` computes it
//! (two-sided, `method="auto"`): exact lattice-path p-values up to 10,000 values per side, the
//! finite-n Kolmogorov distribution above.

use super::kolmogorov::kstwo_sf;

/// Above this sample size scipy switches from the exact to the asymptotic p-value.
const MAX_EXACT_N: usize = 10_000;

/// Result of the two-sample KS test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// D = max |F_ref − F_cur|.
    pub statistic: f64,
    pub p_value: f64,
    /// Whether the exact distribution was used.
    pub exact: bool,
}

/// KS test on two samples that are already sorted ascending. Returns `None` if a side is empty.
pub fn ks_2samp_sorted(a: &[f64], b: &[f64]) -> Option<KsResult> {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let d = ks_statistic(a, b);
    let exact_p = (n1.max(n2) <= MAX_EXACT_N)
        .then(|| exact_p(n1 as u64, n2 as u64, d))
        .flatten();
    let exact = exact_p.is_some();
    let p = exact_p.unwrap_or_else(|| asymptotic_p(n1, n2, d));
    Some(KsResult {
        statistic: d,
        p_value: p.clamp(0.0, 1.0),
        exact,
    })
}

/// D evaluated at every pooled value with right-continuous ECDFs (ties handled).
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut d = 0.0_f64;
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        if v.is_nan() {
            // NaN never compares; scipy would propagate it.
            return f64::NAN;
        }
        d = d.max((i as f64 / n1 - j as f64 / n2).abs());
    }
    d
}

fn asymptotic_p(n1: usize, n2: usize, d: f64) -> f64 {
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round_ties_even();
    kstwo_sf(en as u64, d)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy `_attempt_exact_2kssamp` for the two-sided case; `None` when it would fall back.
fn exact_p(n1: u64, n2: u64, d: f64) -> Option<f64> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    if (n1 / g) as f64 >= i32::MAX as f64 / (n2 / g) as f64 {
        return None;
    }
    let h = (d * lcm as f64).round_ties_even() as u64;
    if h == 0 {
        return Some(1.0);
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside_method(n1, n2, g, h)
    };
    (p.is_finite() && (0.0..=1.0).contains(&p)).then_some(p)
}

/// Pr(D_{n,n} >= h/n), Horner-like alternating sum.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let kh = k as f64 * h as f64;
        let nf = n as f64;
        let mut p1 = 1.0;
        for j in 0..h {
            let jf = j as f64;
            p1 = (nf - kh - jf) * p1 / (nf + kh + jf + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Hodges' inside method with Viehmann's recursion computing 1 − p directly.
fn outer_prob_inside_method(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (m, n, h) = (m as i64, n as i64, h as i64);
    let ceil_div = |a: i64, b: i64| (a as f64 / b as f64).ceil() as i64;
    let floor_div = |a: i64, b: i64| (a as f64 / b as f64).floor() as i64;
    let mut minj = 0_i64;
    let mut maxj = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0_f64; len_a];
    for x in a.iter_mut().take(maxj as usize) {
        *x = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let src = (jj + minj - lastminj) as usize;
            let prev = a.get(src).copied().unwrap_or(1.0);
            val = (prev * fi + val * j) / (fi + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let start = (maxj - minj) as usize;
            let end = (start + (lastlen - curlen) as usize).min(a.len());
            for x in &mut a[start..end] {
                *x = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: &[f64], b: &[f64]) -> f64 {
        ks_2samp_sorted(a, b).unwrap().p_value
    }

    #[test]
    fn exact_small_samples_match_scipy() {
        // scipy.stats.ks_2samp(...).pvalue
        let got = p(&[1., 2., 3., 4., 5., 6., 7.], &[3.5, 4.5, 8., 9., 10.]);
        assert!((got - 0.16666666666666663).abs() < 1e-12, "{got}");
        let got = p(&[1., 2., 3., 4., 5., 6.], &[3.5, 4.5, 8., 9., 10., 11.]);
        assert!((got - 0.14285714285714285).abs() < 1e-12, "{got}");
    }

    #[test]
    fn inside_method_and_asymptotic_paths_match_scipy() {
        let grid = |n: usize, scale: f64| -> Vec<f64> {
            (0..n)
                .map(|i| (i as f64 + 0.5) / n as f64 * scale)
                .collect()
        };
        let a: Vec<f64> = (0..300).map(|i| i as f64 / 300.0).collect();
        let got = p(&a, &grid(200, 1.1));
        assert!((got - 0.21921407686540875).abs() < 1e-9 * 0.22, "{got}");
        // 12,000 values: scipy switches to kstwo.sf(D, round(n1·n2/(n1+n2))).
        let big: Vec<f64> = (0..12_000).map(|i| i as f64 / 12_000.0).collect();
        let r = ks_2samp_sorted(&big, &grid(1000, 1.05)).unwrap();
        assert!(!r.exact);
        assert!((r.statistic - 0.04808333333333337).abs() < 1e-12);
        assert!(
            (r.p_value - 0.027104347163573128).abs() < 1e-8 * 0.027,
            "{}",
            r.p_value
        );
    }

    #[test]
    fn ties_and_identical_samples() {
        let r = ks_2samp_sorted(&[1., 1., 2., 2.], &[1., 1., 2., 2.]).unwrap();
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.p_value, 1.0);
        assert!(ks_2samp_sorted(&[], &[1.0]).is_none());
    }
}
