//! Seeded, pure decisions about rows: which are the fixed holdout, and in which order the pool is loaded.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Per row (same order as the input): `None` for a holdout row, `Some(k)` for the k-th pool row to load.
pub type Placement = Option<i64>;

/// Defaults of the import.
pub const DEFAULT_HOLDOUT_FRACTION: f64 = contracts::HOLDOUT_FRACTION;
pub const DEFAULT_SEED: u64 = 42;

/// Sets a stratified holdout aside and orders the rest for loading.
///
/// Holdout: per class, `round(n * fraction)` rows chosen at random (at least one when the class has two
/// rows or more, never the whole class). Load order: stratified too — every prefix of the order holds the
/// classes in about their overall proportions, so a 40 % load or a 3 % batch looks like the whole pool.
pub fn place_rows(codes: &[i64], holdout_fraction: f64, seed: u64) -> Vec<Placement> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_class: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &c) in codes.iter().enumerate() {
        by_class.entry(c).or_default().push(i);
    }

    let mut is_holdout = vec![false; codes.len()];
    let mut keyed: Vec<(f64, usize)> = Vec::with_capacity(codes.len());
    for rows in by_class.values_mut() {
        rows.shuffle(&mut rng);
        let n = rows.len();
        let mut k = (n as f64 * holdout_fraction).round() as usize;
        if holdout_fraction > 0.0 && n >= 2 {
            k = k.clamp(1, n - 1);
        }
        k = k.min(n);
        for &i in &rows[..k] {
            is_holdout[i] = true;
        }
        // Pool rows of this class spread evenly over [0, 1): the j-th gets (j + u) / m.
        let pool = &rows[k..];
        let m = pool.len() as f64;
        for (j, &i) in pool.iter().enumerate() {
            keyed.push(((j as f64 + rng.random::<f64>()) / m, i));
        }
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));

    let mut placement: Vec<Placement> = vec![None; codes.len()];
    for (order, (_, i)) in keyed.into_iter().enumerate() {
        placement[i] = Some(order as i64);
    }
    debug_assert!(
        placement
            .iter()
            .zip(&is_holdout)
            .all(|(p, h)| p.is_none() == *h)
    );
    placement
}

/// Rows to add to reach `percent` of the pool: `ceil(pool * percent / 100)`, capped at the pool.
pub fn rows_for_percent(pool_rows: i64, percent: f64) -> i64 {
    (((pool_rows as f64) * percent / 100.0) - 1e-9)
        .ceil()
        .clamp(0.0, pool_rows as f64) as i64
}

pub fn percent_of(rows: i64, pool_rows: i64) -> f64 {
    if pool_rows == 0 {
        0.0
    } else {
        100.0 * rows as f64 / pool_rows as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Vec<i64> {
        let mut v = Vec::new();
        for (code, n) in [(10, 100), (40, 40), (50, 7), (60, 2), (1140, 1)] {
            v.extend(std::iter::repeat_n(code, n));
        }
        v
    }

    #[test]
    fn holdout_is_stratified_and_never_a_whole_class() {
        let codes = codes();
        let p = place_rows(&codes, 0.15, 42);
        let held = |c: i64| {
            codes
                .iter()
                .zip(&p)
                .filter(|(x, p)| **x == c && p.is_none())
                .count()
        };
        assert_eq!(held(10), 15);
        assert_eq!(held(40), 6);
        assert_eq!(held(50), 1);
        assert_eq!(held(60), 1);
        assert_eq!(held(1140), 0);
    }

    #[test]
    fn load_order_is_a_permutation_and_prefixes_are_stratified() {
        let codes = codes();
        let p = place_rows(&codes, 0.15, 7);
        let mut orders: Vec<i64> = p.iter().flatten().copied().collect();
        orders.sort();
        assert_eq!(orders, (0..orders.len() as i64).collect::<Vec<_>>());
        // The first 40 % of the order holds about 40 % of each large class.
        let cut = (orders.len() as f64 * 0.4) as i64;
        let first = |c: i64| {
            codes
                .iter()
                .zip(&p)
                .filter(|(x, p)| **x == c && p.is_some_and(|o| o < cut))
                .count()
        };
        assert!((first(10) as i64 - 34).abs() <= 1, "{}", first(10));
        assert!((first(40) as i64 - 14).abs() <= 1, "{}", first(40));
    }

    #[test]
    fn same_seed_same_plan_other_seed_other_plan() {
        let codes = codes();
        assert_eq!(place_rows(&codes, 0.15, 1), place_rows(&codes, 0.15, 1));
        assert_ne!(place_rows(&codes, 0.15, 1), place_rows(&codes, 0.15, 2));
    }

    #[test]
    fn percent_arithmetic() {
        assert_eq!(rows_for_percent(1000, 40.0), 400);
        assert_eq!(rows_for_percent(1001, 3.0), 31);
        assert_eq!(rows_for_percent(100, 3.0), 3);
        assert_eq!(rows_for_percent(10, 150.0), 10);
        assert_eq!(percent_of(3, 12), 25.0);
    }
}
