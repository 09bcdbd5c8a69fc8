//! Tests on value counts over the union of distinct values: chi-square, two-proportion Z-test,
//! Jensen–Shannon distance and PSI (the last two also on histogram shares).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::special::{chi2_sf, ndtr};

/// Per-key counts of both samples over the sorted union of their distinct values.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueCounts {
    /// Display form of each key, sorted in the sample's natural order.
    pub keys: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

impl ValueCounts {
    /// Counts of two sorted numeric samples (keys in numeric order).
    pub fn from_sorted_numbers(a: &[f64], b: &[f64]) -> Self {
        let mut out = Self::empty();
        for (v, in_a, in_b) in SortedRuns::new(a, b) {
            out.keys.push(format_number(v));
            out.reference.push(in_a as f64);
            out.current.push(in_b as f64);
        }
        out
    }

    /// Counts of two string samples (keys in lexical order, as Python sorts `str`).
    pub fn from_strings<S: AsRef<str>>(a: &[S], b: &[S]) -> Self {
        let mut map: HashMap<&str, (f64, f64), BuildHasherDefault<Fnv>> = HashMap::default();
        for s in a {
            map.entry(s.as_ref()).or_default().0 += 1.0;
        }
        for s in b {
            map.entry(s.as_ref()).or_default().1 += 1.0;
        }
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort_unstable_by(|x, y| x.0.cmp(y.0));
        let mut out = Self::empty();
        for (k, (r, c)) in entries {
            out.keys.push(k.to_string());
            out.reference.push(r);
            out.current.push(c);
        }
        out
    }

    fn empty() -> Self {
        Self {
            keys: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        }
    }

    pub fn n_reference(&self) -> f64 {
        self.reference.iter().sum()
    }

    pub fn n_current(&self) -> f64 {
        self.current.iter().sum()
    }

    /// Shares of each key in each sample (counts divided by the sample size).
    pub fn shares(&self) -> (Vec<f64>, Vec<f64>) {
        let (nr, nc) = (self.n_reference(), self.n_current());
        (
            self.reference.iter().map(|c| c / nr).collect(),
            self.current.iter().map(|c| c / nc).collect(),
        )
    }
}

/// FNV-1a: category labels are short, and SipHash's flooding protection buys nothing here.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf29ce484222325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
        self.0 = h;
    }
}

/// Shortest round-trip form of a number, without a trailing `.0` for integers.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Evidently's chi-square: reference counts scaled to the current size are the expected
/// frequencies. A key unseen in the reference gives p = 0.
pub fn chi_square(counts: &ValueCounts) -> f64 {
    let k_norm = counts.n_current() / counts.n_reference();
    let mut stat = 0.0;
    for (r, c) in counts.reference.iter().zip(&counts.current) {
        let expected = r * k_norm;
        stat += (c - expected) * (c - expected) / expected;
    }
    let dof = counts.keys.len() as f64 - 1.0;
    if dof <= 0.0 {
        // scipy returns NaN for a single category.
        return f64::NAN;
    }
    chi2_sf(stat, dof)
}

/// Evidently's two-proportion Z-test: "is the smallest key" against everything else.
pub fn z_test(counts: &ValueCounts) -> f64 {
    let single_equal = counts.keys.len() == 1;
    if single_equal {
        return 1.0;
    }
    let (n1, n2) = (counts.n_reference(), counts.n_current());
    // x = 0 for the first sorted key, 1 otherwise.
    let p1 = (n1 - counts.reference[0]) / n1;
    let p2 = (n2 - counts.current[0]) / n2;
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    2.0 * (1.0 - ndtr(z.abs()))
}

/// `scipy.spatial.distance.jensenshannon(p, q)` with the natural log.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    let mut js = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        js += rel_entr(a, m) + rel_entr(b, m);
    }
    (js / 2.0).sqrt()
}

fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// Population stability index over shares, with Evidently's replacement of empty shares.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    let (r, c) = (fill_zeroes(reference), fill_zeroes(current));
    r.iter().zip(&c).map(|(a, b)| (a - b) * (a / b).ln()).sum()
}

/// Evidently `get_binned_data(feel_zeroes=True)`: zero shares become min/1e6 (if the smallest
/// non-zero share is <= 1e-4) or 1e-4.
fn fill_zeroes(shares: &[f64]) -> Vec<f64> {
    let min = shares
        .iter()
        .copied()
        .filter(|s| *s != 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if min <= 0.0001 { min / 1e6 } else { 0.0001 };
    shares
        .iter()
        .map(|&s| if s == 0.0 { fill } else { s })
        .collect()
}

/// Walks two sorted, NaN-free samples together: each distinct value once, in order, with how many times it
/// occurs in each sample.
pub struct SortedRuns<'a> {
    a: &'a [f64],
    b: &'a [f64],
    i: usize,
    j: usize,
}

impl<'a> SortedRuns<'a> {
    pub fn new(a: &'a [f64], b: &'a [f64]) -> Self {
        SortedRuns { a, b, i: 0, j: 0 }
    }
}

impl Iterator for SortedRuns<'_> {
    type Item = (f64, usize, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let v = match (self.a.get(self.i), self.b.get(self.j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => return None,
        };
        let (si, sj) = (self.i, self.j);
        while self.i < self.a.len() && self.a[self.i] == v {
            self.i += 1;
        }
        while self.j < self.b.len() && self.b[self.j] == v {
            self.j += 1;
        }
        if self.i == si && self.j == sj {
            // Only NaN fails equality; cleaned samples hold none, but never loop forever.
            return None;
        }
        Some((v, self.i - si, self.j - sj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_over_union_are_sorted() {
        let c = ValueCounts::from_sorted_numbers(&[1., 1., 3.], &[2., 3., 3.]);
        assert_eq!(c.keys, ["1", "2", "3"]);
        assert_eq!(c.reference, [2., 0., 1.]);
        assert_eq!(c.current, [0., 1., 2.]);
        let c = ValueCounts::from_strings(&strings(&["b", "a"]), &strings(&["c"]));
        assert_eq!(c.keys, ["a", "b", "c"]);
    }

    #[test]
    fn chi_square_matches_scipy() {
        // scipy.stats.chisquare([30, 50, 20], [40, 40, 20]).pvalue (reference 40/40/20 of 100)
        let c = ValueCounts {
            keys: strings(&["a", "b", "c"]),
            reference: vec![40., 40., 20.],
            current: vec![30., 50., 20.],
        };
        assert!((chi_square(&c) - 0.0820849986238988).abs() < 1e-12);
        let unseen = ValueCounts {
            keys: strings(&["a", "b"]),
            reference: vec![10., 0.],
            current: vec![9., 1.],
        };
        assert_eq!(chi_square(&unseen), 0.0);
    }

    #[test]
    fn z_test_matches_statsmodels_formula() {
        // 2 * (1 - norm.cdf(|z|)) for p1 = 0.3 (n 100), p2 = 0.45 (n 200)
        let c = ValueCounts {
            keys: strings(&["0", "1"]),
            reference: vec![70., 30.],
            current: vec![110., 90.],
        };
        assert!(
            (z_test(&c) - 0.012419330651552318).abs() < 1e-12,
            "{}",
            z_test(&c)
        );
    }

    #[test]
    fn jensen_shannon_matches_scipy() {
        // scipy.spatial.distance.jensenshannon([0.5, 0.5, 0], [0.25, 0.25, 0.5])
        let d = jensen_shannon(&[0.5, 0.5, 0.0], &[0.25, 0.25, 0.5]);
        assert!((d - 0.464501404022459).abs() < 1e-12, "{d}");
        let disjoint = jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]);
        assert!((disjoint - 2f64.ln().sqrt()).abs() < 1e-12);
    }

    #[test]
    fn psi_fills_zero_shares() {
        let v = psi(&[0.5, 0.5, 0.0], &[0.4, 0.4, 0.2]);
        let want = 2.0 * 0.1 * (0.5f64 / 0.4).ln() + (0.0001 - 0.2) * (0.0001f64 / 0.2).ln();
        assert!((v - want).abs() < 1e-12);
    }
}
