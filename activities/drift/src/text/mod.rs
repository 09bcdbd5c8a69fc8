//! Text drift as Evidently measures it: a domain classifier learns to tell reference texts from
//! current texts, and its ROC AUC on held-out texts is the drift score.
//!
//! Evidently uses scikit-learn (TF-IDF + SGDClassifier). This is the same recipe in plain Rust —
//! hashed word TF-IDF (sublinear tf, `max_df = 0.5`, English stop words, L2 norm) and the same
//! SGD classifier (modified Huber loss, L1 penalty, clipped probabilities) — deterministic for a
//! given seed. The random split and shuffles are ours, so AUCs differ a little from
//! scikit-learn's; clear drift and clear no-drift get the same decisions.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::StatTest;

mod features;
mod sgd;

use features::{SparseRows, fit_idf, term_counts, tfidf};
use sgd::Sgd;

const RANDOM_AUC_DRAWS: usize = 1000;
/// Held-out texts above which random AUCs are not drawn one by one (see `random_auc_percentile`).
const RANDOM_AUC_MAX_DRAWN: usize = 20_000;

/// Outcome of the domain classifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextDrift {
    /// ROC AUC of the classifier on the held-out half.
    pub roc_auc: f64,
    /// The AUC above which drift is detected: the threshold itself (absolute test) or the
    /// percentile of random-classifier AUCs (percentile test).
    pub cutoff: f64,
    pub drift_detected: bool,
}

/// Runs the domain classifier. `threshold` is the absolute AUC cut-off for
/// [`StatTest::AbsTextContentDrift`] and the percentile (0.95 = 95th) of random AUCs for
/// [`StatTest::PercTextContentDrift`]. Returns `None` if either side is empty.
pub fn text_drift<S: AsRef<str> + Sync>(
    reference: &[S],
    current: &[S],
    test: StatTest,
    threshold: f64,
    seed: u64,
) -> Option<TextDrift> {
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let docs = tokenize_all(reference, current);
    let labels: Vec<bool> = (0..docs.len()).map(|i| i >= reference.len()).collect();
    // train_test_split(test_size=0.5): the test half is ceil(n / 2).
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.shuffle(&mut rng);
    let n_test = docs.len().div_ceil(2);
    let (test_idx, train_idx) = order.split_at(n_test);

    let idf = fit_idf(&docs, train_idx);
    // The test half is vectorised on a second thread while the model trains.
    let scores: Vec<f64> = std::thread::scope(|s| {
        let test = s.spawn(|| tfidf(&docs, test_idx, &idf));
        let train = tfidf(&docs, train_idx, &idf);
        let y_train: Vec<bool> = train_idx.iter().map(|i| labels[*i]).collect();
        let model = Sgd::fit(&train, &y_train, rng.random());
        let test = test.join().unwrap_or_else(|_| tfidf(&docs, test_idx, &idf));
        (0..test.len())
            .map(|i| model.probability(test.row(i)))
            .collect()
    });
    let y_test: Vec<bool> = test_idx.iter().map(|i| labels[*i]).collect();
    let roc_auc = roc_auc(&y_test, &scores);
    let cutoff = match test {
        StatTest::PercTextContentDrift => random_auc_percentile(&y_test, threshold, &mut rng),
        _ => threshold,
    };
    Some(TextDrift {
        roc_auc,
        cutoff,
        drift_detected: roc_auc > cutoff,
    })
}

/// ROC AUC with tied scores sharing their average rank (Mann–Whitney U). NaN if one class is
/// absent.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> f64 {
    let n_pos = labels.iter().filter(|l| **l).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_unstable_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..=j].iter().filter(|k| labels[**k]).count() as f64 * avg_rank;
        i = j + 1;
    }
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// The `percentile` quantile (linear interpolation) of AUCs of uniformly random scores, as
/// Evidently draws them. Above [`RANDOM_AUC_MAX_DRAWN`] texts, the AUC of random scores is
/// normal to far better than the draw noise, and its quantile is computed instead.
fn random_auc_percentile(y: &[bool], percentile: f64, rng: &mut ChaCha8Rng) -> f64 {
    if y.len() > RANDOM_AUC_MAX_DRAWN {
        let n1 = y.iter().filter(|l| **l).count() as f64;
        let n0 = y.len() as f64 - n1;
        let sd = ((n0 + n1 + 1.0) / (12.0 * n0 * n1)).sqrt();
        return 0.5 + sd * normal_quantile(percentile);
    }
    let mut aucs: Vec<f64> = (0..RANDOM_AUC_DRAWS)
        .map(|_| {
            let scores: Vec<f64> = (0..y.len()).map(|_| rng.random::<f64>()).collect();
            roc_auc(y, &scores)
        })
        .collect();
    aucs.sort_unstable_by(f64::total_cmp);
    let pos = percentile.clamp(0.0, 1.0) * (aucs.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    aucs[lo] + (aucs[hi] - aucs[lo]) * (pos - lo as f64)
}

/// Inverse of the standard normal CDF, by bisection on [`crate::special::ndtr`].
fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if crate::special::ndtr(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Term counts of every text, reference first; the two halves are hashed on two threads.
fn tokenize_all<S: AsRef<str> + Sync>(reference: &[S], current: &[S]) -> SparseRows {
    let (mut docs, cur) = std::thread::scope(|s| {
        let cur = s.spawn(|| term_counts(current));
        (term_counts(reference), cur.join())
    });
    // Hashing words cannot panic; should the worker ever do so, hash here instead.
    docs.append(cur.unwrap_or_else(|_| term_counts(current)));
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_handles_ties() {
        let y = [false, false, true, true];
        assert_eq!(roc_auc(&y, &[0.1, 0.4, 0.35, 0.8]), 0.75);
        assert_eq!(roc_auc(&y, &[0.5, 0.5, 0.5, 0.5]), 0.5);
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_nan());
    }

    #[test]
    fn random_auc_cutoff_is_near_the_normal_quantile() {
        assert!((normal_quantile(0.95) - 1.6448536269514722).abs() < 1e-12);
        let y: Vec<bool> = (0..600).map(|i| i % 2 == 0).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let drawn = random_auc_percentile(&y, 0.95, &mut rng);
        let sd = (601.0_f64 / (12.0 * 300.0 * 300.0)).sqrt();
        assert!((drawn - (0.5 + 1.645 * sd)).abs() < 0.01, "{drawn}");
    }

    fn corpus(words: &[&str], n: usize, seed: u64) -> Vec<String> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                (0..6)
                    .map(|_| words[rng.random_range(0..words.len())])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn detects_a_vocabulary_shift_and_not_noise() {
        let a = [
            "livre", "roman", "poche", "jouet", "piscine", "lampe", "chaise", "table",
        ];
        let b = [
            "console", "jeu", "manette", "jouet", "piscine", "lampe", "chaise", "table",
        ];
        let reference = corpus(&a, 600, 1);
        let same = corpus(&a, 600, 2);
        let shifted = corpus(&b, 600, 3);
        let drift = text_drift(
            &reference,
            &shifted,
            StatTest::PercTextContentDrift,
            0.95,
            42,
        );
        let drift = drift.unwrap();
        assert!(drift.drift_detected && drift.roc_auc > 0.9, "{drift:?}");
        let none = text_drift(&reference, &same, StatTest::AbsTextContentDrift, 0.55, 42).unwrap();
        assert!(!none.drift_detected, "{none:?}");
        let empty: [&str; 0] = [];
        assert!(text_drift(&empty, &["x"], StatTest::AbsTextContentDrift, 0.55, 42).is_none());
    }
}
