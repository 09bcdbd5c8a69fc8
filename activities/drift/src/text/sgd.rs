//! The classifier Evidently uses, rebuilt: scikit-learn's `SGDClassifier(loss="modified_huber",
//! penalty="l1", alpha=1e-4, max_iter=50, tol=1e-3)` on sparse rows — the "optimal" learning
//! rate, the sparse intercept decay, Tsuruoka's cumulative L1 penalty and the stopping rule on
//! the training objective — and `predict_proba`'s clipping to [0, 1] (which creates ties).

use super::features::SparseRows;
use super::numpy_random::our_rand_r;

const ALPHA: f64 = 1e-4;
const MAX_EPOCHS: usize = 50;
const TOL: f64 = 1e-3;
const N_ITER_NO_CHANGE: usize = 5;
/// How far ahead in the visiting order rows are loaded.
const PREFETCH_ROWS: usize = 4;
/// scikit-learn damps intercept updates on sparse input.
const SPARSE_INTERCEPT_DECAY: f64 = 0.01;

/// A trained linear model.
pub struct Sgd {
    weights: Vec<f64>,
    intercept: f64,
}

impl Sgd {
    /// Trains on `rows` (`n_features` columns) with labels (`true` = current). Every epoch
    /// reshuffles the visiting order from `seed` as scikit-learn's `SequentialDataset` does.
    pub fn fit(rows: &SparseRows, n_features: usize, labels: &[bool], seed: u32) -> Self {
        // Each weight sits beside its cumulative applied L1 penalty `q` (Tsuruoka et al. 2009),
        // and each row's columns beside their values: rows come in random order, so every
        // visit is a cache miss, and this halves them.
        let mut wq = vec![[0.0_f64; 2]; n_features];
        let (entries, ends) = rows.interleaved();
        // scikit-learn's `WeightVector.l1norm()` is the L1 norm of the weights the last update
        // touched (not of the whole vector); its stopping rule sees that value.
        let mut l1norm = 0.0_f64;
        let mut intercept = 0.0_f64;
        let mut u = 0.0_f64;
        // eta = 1 / (alpha · (t0 + t − 1)), t0 chosen so that the first step is typw / dloss.
        let typw = (1.0 / ALPHA.sqrt()).sqrt();
        let optimal_init = 1.0 / (typw / gradient(1.0, -typw).max(1.0) * ALPHA);
        let mut t = 1.0_f64;
        let (mut best, mut no_improvement) = (f64::INFINITY, 0);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut bounds: Vec<(usize, usize)> = Vec::with_capacity(rows.len());
        let n = rows.len().max(1) as f64;
        for _ in 0..MAX_EPOCHS {
            let mut s = seed;
            let n_rows = order.len();
            for i in 0..n_rows.saturating_sub(1) {
                let j = i + our_rand_r(&mut s) as usize % (n_rows - i);
                order.swap(i, j);
            }
            // Row bounds in visiting order: independent loads the CPU overlaps, and a sequential
            // read below.
            bounds.clear();
            bounds.extend(
                order
                    .iter()
                    .map(|&i| (if i == 0 { 0 } else { ends[i - 1] }, ends[i])),
            );
            let mut objective = 0.0;
            for (k, &i) in order.iter().enumerate() {
                // Rows come in random order, so each is a cache miss: load a few ahead so that
                // the misses overlap instead of stalling one after the other.
                if let Some(&(start, end)) = bounds.get(k + PREFETCH_ROWS)
                    && start < end
                {
                    std::hint::black_box(entries[start]);
                }
                let (start, end) = bounds[k];
                let row = &entries[start..end];
                let y = if labels[i] { 1.0 } else { -1.0 };
                let mut p = 0.0;
                for &(j, v) in row {
                    p += wq[j as usize][0] * v;
                }
                p += intercept;
                let eta = 1.0 / (ALPHA * (optimal_init + t - 1.0));
                objective += loss(y, p);
                objective += ALPHA * l1norm;
                let update = -eta * gradient(y, p);
                // scikit-learn adds the update to every weight of the row, then applies the
                // cumulative L1 penalty to each; a row's columns are distinct, so one pass per
                // weight does the same arithmetic.
                u += eta * ALPHA;
                if update != 0.0 {
                    l1norm = 0.0;
                    for &(j, v) in row {
                        let cell = &mut wq[j as usize];
                        let z = cell[0] + v * update;
                        l1norm += z.abs();
                        *cell = l1_penalty(z, cell[1], u);
                    }
                    intercept += update * SPARSE_INTERCEPT_DECAY;
                } else {
                    for &(j, _) in row {
                        let cell = &mut wq[j as usize];
                        *cell = l1_penalty(cell[0], cell[1], u);
                    }
                }
                t += 1.0;
            }
            if !intercept.is_finite() {
                break;
            }
            let objective = objective / n;
            if objective > best - TOL {
                no_improvement += 1;
            } else {
                no_improvement = 0;
            }
            best = best.min(objective);
            if no_improvement >= N_ITER_NO_CHANGE {
                break;
            }
        }
        Self {
            weights: wq.into_iter().map(|[w, _]| w).collect(),
            intercept,
        }
    }

    /// `predict_proba(x)[:, 1]`: the decision value clipped to [-1, 1], mapped to [0, 1].
    pub fn probability(&self, (ids, vals): (&[u32], &[f64])) -> f64 {
        let d = dot(&self.weights, ids, vals) + self.intercept;
        (d.clamp(-1.0, 1.0) + 1.0) / 2.0
    }
}

/// Tsuruoka's truncated L1 step: pull `z` towards 0 by what the cumulative penalty `u` allows
/// beyond what was already applied (`q`), never across 0. Returns the new weight and `q`.
fn l1_penalty(z: f64, q: f64, u: f64) -> [f64; 2] {
    let w = if z > 0.0 {
        (z - (u + q)).max(0.0)
    } else if z < 0.0 {
        (z + (u - q)).min(0.0)
    } else {
        z
    };
    [w, q + (w - z)]
}

fn dot(w: &[f64], ids: &[u32], vals: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (j, v) in ids.iter().zip(vals) {
        sum += w[*j as usize] * v;
    }
    sum
}

/// Modified Huber loss of the decision `p` for the label `y` in {-1, 1}.
fn loss(y: f64, p: f64) -> f64 {
    let z = p * y;
    if z >= 1.0 {
        0.0
    } else if z >= -1.0 {
        (1.0 - z) * (1.0 - z)
    } else {
        -4.0 * z
    }
}

fn gradient(y: f64, p: f64) -> f64 {
    let z = p * y;
    if z >= 1.0 {
        0.0
    } else if z >= -1.0 {
        2.0 * (1.0 - z) * -y
    } else {
        -4.0 * y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::features::{Tokens, Vectorizer};

    #[test]
    fn first_step_matches_scikit_learn() {
        // typw = 10, dloss(-10, y=1) = -4 → eta0 = 10 / max(1, -4) = 10, t0 = 1000.
        let typw = (1.0 / ALPHA.sqrt()).sqrt();
        assert_eq!(typw, 10.0);
        assert_eq!(gradient(1.0, -typw), -4.0);
        assert_eq!(loss(1.0, 0.5), 0.25);
        assert_eq!(loss(-1.0, 3.0), 12.0);
    }

    #[test]
    fn separates_two_vocabularies_and_clips_probabilities() {
        let texts: Vec<String> = (0..200)
            .map(|i| {
                if i % 2 == 0 {
                    "livre roman poche"
                } else {
                    "console jeu manette"
                }
            })
            .map(String::from)
            .collect();
        let all: Vec<usize> = (0..texts.len()).collect();
        let (_, x) = Vectorizer::fit_transform(&Tokens::new(&texts, &[]), &all).unwrap();
        let labels: Vec<bool> = (0..texts.len()).map(|i| i % 2 == 1).collect();
        let model = Sgd::fit(&x, 6, &labels, 42);
        assert_eq!(model.probability(x.row(1)), 1.0);
        assert_eq!(model.probability(x.row(0)), 0.0);
    }
}
