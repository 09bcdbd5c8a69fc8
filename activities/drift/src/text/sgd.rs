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
        let mut w = vec![0.0_f64; n_features];
        // Cumulative L1 penalty actually applied to each weight (Tsuruoka et al. 2009).
        let mut q = vec![0.0_f64; n_features];
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
        let n = rows.len().max(1) as f64;
        for _ in 0..MAX_EPOCHS {
            let mut s = seed;
            let n_rows = order.len();
            for i in 0..n_rows.saturating_sub(1) {
                let j = i + our_rand_r(&mut s) as usize % (n_rows - i);
                order.swap(i, j);
            }
            let mut objective = 0.0;
            for &i in &order {
                let (ids, vals) = rows.row(i);
                let y = if labels[i] { 1.0 } else { -1.0 };
                let p = dot(&w, ids, vals) + intercept;
                let eta = 1.0 / (ALPHA * (optimal_init + t - 1.0));
                objective += loss(y, p) + ALPHA * l1norm;
                let update = -eta * gradient(y, p);
                if update != 0.0 {
                    l1norm = 0.0;
                    for (&j, &v) in ids.iter().zip(vals) {
                        let j = j as usize;
                        w[j] += v * update;
                        l1norm += w[j].abs();
                    }
                    intercept += update * SPARSE_INTERCEPT_DECAY;
                }
                u += eta * ALPHA;
                for &j in ids {
                    let j = j as usize;
                    let z = w[j];
                    if z > 0.0 {
                        w[j] = (z - (u + q[j])).max(0.0);
                    } else if z < 0.0 {
                        w[j] = (z + (u - q[j])).min(0.0);
                    }
                    q[j] += w[j] - z;
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
            weights: w,
            intercept,
        }
    }

    /// `predict_proba(x)[:, 1]`: the decision value clipped to [-1, 1], mapped to [0, 1].
    pub fn probability(&self, (ids, vals): (&[u32], &[f64])) -> f64 {
        let d = dot(&self.weights, ids, vals) + self.intercept;
        (d.clamp(-1.0, 1.0) + 1.0) / 2.0
    }
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
        let (_, x) = Vectorizer::fit_transform(&Tokens::new(&texts), &all).unwrap();
        let labels: Vec<bool> = (0..texts.len()).map(|i| i % 2 == 1).collect();
        let model = Sgd::fit(&x, 6, &labels, 42);
        assert_eq!(model.probability(x.row(1)), 1.0);
        assert_eq!(model.probability(x.row(0)), 0.0);
    }
}
