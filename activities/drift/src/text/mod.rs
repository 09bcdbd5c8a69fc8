//! Text drift as Evidently measures it: a domain classifier learns to tell reference texts from
//! current texts, and its ROC AUC on held-out texts is the drift score.
//!
//! Evidently (`calculate_text_drift_score`) splits reference + current texts in half with
//! `train_test_split(random_state=42)`, fits `TfidfVectorizer` + `SGDClassifier` on one half and
//! scores the other. Each step is rebuilt here in plain Rust — numpy's random generator for the
//! split and the random-classifier cut-off, scikit-learn's vectoriser and its SGD — so the AUC
//! comes out as Evidently's, up to rounding and the rare word scikit-learn tokenises otherwise.

use crate::StatTest;

mod features;
mod numpy_random;
mod sgd;
mod stop_words;

use features::{Tokens, Vectorizer};
use numpy_random::RandomState;
use sgd::Sgd;

/// Random classifiers behind the percentile test's cut-off.
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
/// [`StatTest::PercTextContentDrift`]; `seed` replaces Evidently's 42 everywhere. Returns `None`
/// if either side is empty or no word survives the vectoriser (Evidently fails there).
pub fn text_drift<S: AsRef<str> + Sync>(
    reference: &[S],
    current: &[S],
    test: StatTest,
    threshold: f64,
    seed: u32,
) -> Option<TextDrift> {
    if reference.is_empty() || current.is_empty() {
        return None;
    }
    let n = reference.len() + current.len();
    let tokens = Tokens::new(reference, current);
    let labels: Vec<bool> = (0..n).map(|i| i >= reference.len()).collect();
    // train_test_split(test_size=0.5, shuffle=True): test = first ceil(n / 2) of a permutation.
    let order = RandomState::new(seed).permutation(n);
    let (test_idx, train_idx) = order.split_at(n.div_ceil(2));

    let (vectorizer, train) = Vectorizer::fit_transform(&tokens, train_idx)?;
    // SGDClassifier(random_state=seed) draws the dataset seed, then the shuffling seed.
    let mut state = RandomState::new(seed);
    state.randint(1, i64::from(i32::MAX));
    let sgd_seed = state.randint(0, i64::from(i32::MAX)) as u32;
    // The held-out half is vectorised on a second thread while the model trains.
    let scores: Vec<f64> = std::thread::scope(|s| {
        let held_out = s.spawn(|| vectorizer.transform(&tokens, test_idx));
        let y_train: Vec<bool> = train_idx.iter().map(|i| labels[*i]).collect();
        let model = Sgd::fit(&train, vectorizer.n_features(), &y_train, sgd_seed);
        let held_out = held_out
            .join()
            .unwrap_or_else(|_| vectorizer.transform(&tokens, test_idx));
        (0..held_out.len())
            .map(|i| model.probability(held_out.row(i)))
            .collect()
    });
    let y_test: Vec<bool> = test_idx.iter().map(|i| labels[*i]).collect();
    let roc_auc = roc_auc(&y_test, &scores);
    let cutoff = match test {
        StatTest::PercTextContentDrift => random_auc_percentile(&y_test, threshold, seed),
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

/// Evidently's cut-off: `np.percentile` (linear) at `100 · threshold` of the AUCs of 1000
/// random classifiers, each `np.random.rand` under a seed from `np.random.seed(seed)` +
/// `randint(0, 10000, 1000)`. Above [`RANDOM_AUC_MAX_DRAWN`] texts the random AUC is normal to
/// far better than the draw noise, and its quantile is computed instead.
fn random_auc_percentile(y: &[bool], threshold: f64, seed: u32) -> f64 {
    let p_value = 1.0 - threshold;
    let q = (100.0 * (1.0 - p_value)) / 100.0;
    if y.len() > RANDOM_AUC_MAX_DRAWN {
        let n1 = y.iter().filter(|l| **l).count() as f64;
        let n0 = y.len() as f64 - n1;
        let sd = ((n0 + n1 + 1.0) / (12.0 * n0 * n1)).sqrt();
        return 0.5 + sd * normal_quantile(q);
    }
    let mut seeds = RandomState::new(seed);
    let mut aucs: Vec<f64> = (0..RANDOM_AUC_DRAWS)
        .map(|_| {
            let mut rng = RandomState::new(seeds.randint(0, 10 * RANDOM_AUC_DRAWS as i64) as u32);
            let scores: Vec<f64> = (0..y.len()).map(|_| rng.next_f64()).collect();
            roc_auc(y, &scores)
        })
        .collect();
    aucs.sort_unstable_by(f64::total_cmp);
    let virtual_index = (q * (aucs.len() - 1) as f64).clamp(0.0, (aucs.len() - 1) as f64);
    let lo = virtual_index.floor() as usize;
    let hi = (lo + 1).min(aucs.len() - 1);
    let t = virtual_index - lo as f64;
    let (a, b) = (aucs[lo], aucs[hi]);
    // numpy's _lerp, including its switch of formula at t >= 0.5.
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
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
        let drawn = random_auc_percentile(&y, 0.95, 42);
        let sd = (601.0_f64 / (12.0 * 300.0 * 300.0)).sqrt();
        assert!((drawn - (0.5 + 1.645 * sd)).abs() < 0.01, "{drawn}");
    }

    fn corpus(words: &[&str], n: usize, seed: u32) -> Vec<String> {
        let mut rng = RandomState::new(seed);
        (0..n)
            .map(|_| {
                (0..6)
                    .map(|_| words[rng.randint(0, words.len() as i64) as usize])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn detects_a_vocabulary_shift_and_not_noise() {
        let words: Vec<String> = (0..60).map(|i| format!("mot{i}")).collect();
        let a: Vec<&str> = words[..40].iter().map(String::as_str).collect();
        let b: Vec<&str> = words[20..].iter().map(String::as_str).collect();
        let reference = corpus(&a, 600, 1);
        let same = corpus(&a, 600, 2);
        let shifted = corpus(&b, 600, 3);
        let perc = StatTest::PercTextContentDrift;
        let drift = text_drift(&reference, &shifted, perc, 0.95, 42).unwrap();
        assert!(drift.drift_detected && drift.roc_auc > 0.9, "{drift:?}");
        let abs = StatTest::AbsTextContentDrift;
        let none = text_drift(&reference, &same, abs, 0.55, 42).unwrap();
        assert!(!none.drift_detected, "{none:?}");
    }

    #[test]
    fn empty_side_or_no_vocabulary_gives_no_result() {
        let abs = StatTest::AbsTextContentDrift;
        let empty: [&str; 0] = [];
        assert!(text_drift(&empty, &["mot"], abs, 0.55, 42).is_none());
        // Every word is in more than half the texts: scikit-learn keeps no term.
        assert!(text_drift(&["le chat"; 10], &["le chat"; 10], abs, 0.55, 42).is_none());
    }
}
