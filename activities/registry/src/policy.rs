//! The promotion policy: one pure function, so every decision can be tested at and around its thresholds.
//!
//! A challenger is judged against the champion on the same holdout rows by a paired comparison
//! ([`paired_comparison`]): the difference of their weighted F1 with a bootstrap confidence interval over the
//! rows (both models scored on each resample), and McNemar's test on the rows where exactly one is right. It is
//! promoted when the interval lies above the required improvement — a difference the holdout's size can tell
//! from chance. Without the two models' predictions (a champion whose artifact cannot be read) the bare margin
//! on the recorded scores decides, and the reason says so.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The first model needs at least this weighted F1 on the fixed holdout.
    pub min_f1_weighted: f64,
    /// Without a paired comparison, a challenger must reach the champion's weighted F1 plus this margin.
    pub margin: f64,
    /// With a paired comparison, the lower end of the confidence interval of the F1 difference must be above
    /// this (0: the improvement is significant at all).
    #[serde(default)]
    pub min_improvement: f64,
    /// Two-sided confidence level of the bootstrap interval.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Bootstrap resamples of the holdout rows.
    #[serde(default = "default_rounds")]
    pub bootstrap_rounds: u32,
}

fn default_confidence() -> f64 {
    0.95
}

fn default_rounds() -> u32 {
    1000
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_f1_weighted: 0.75,
            margin: 0.005,
            min_improvement: 0.0,
            confidence: default_confidence(),
            bootstrap_rounds: default_rounds(),
        }
    }
}

/// The candidate and the champion scored on the same holdout rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub champion_version: i64,
    pub holdout_id: String,
    pub rows: usize,
    /// Candidate's weighted F1 minus the champion's, on all rows.
    pub delta_f1: f64,
    /// The bootstrap interval of `delta_f1` at `confidence`.
    pub ci_low: f64,
    pub ci_high: f64,
    pub confidence: f64,
    pub rounds: u32,
    /// Rows only the candidate gets right, and rows only the champion gets right.
    pub candidate_only_right: usize,
    pub champion_only_right: usize,
    /// McNemar's exact two-sided p-value on those discordant rows.
    pub mcnemar_p: f64,
}

/// A version's score as the policy sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub version: i64,
    pub f1_weighted: f64,
    /// Which fixed holdout the score was computed on; scores on different holdouts are not compared.
    pub holdout_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub promote: bool,
    pub reason: String,
    pub candidate: Scored,
    pub champion: Option<Scored>,
    /// The weighted F1 the candidate needed (the champion's plus the margin or the required improvement).
    pub required_f1_weighted: f64,
    pub policy: Policy,
    /// The paired comparison the decision was made from, when there was one.
    #[serde(default)]
    pub paired: Option<Paired>,
}

/// Scores equal to the requirement up to float noise pass: "at the threshold" promotes.
const EPS: f64 = 1e-9;

/// The decision from the recorded scores alone (no paired comparison).
pub fn decide(policy: &Policy, candidate: &Scored, champion: Option<&Scored>) -> Decision {
    decide_paired(policy, candidate, champion, None)
}

/// The decision: the first model against the threshold; a challenger against the champion by `paired` when it
/// is a comparison with this champion on the candidate's holdout, else by the margin.
pub fn decide_paired(
    policy: &Policy,
    candidate: &Scored,
    champion: Option<&Scored>,
    paired: Option<&Paired>,
) -> Decision {
    let f1 = candidate.f1_weighted;
    let (promote, required, reason) = match champion {
        None => {
            let ok = f1.is_finite() && f1 + EPS >= policy.min_f1_weighted;
            let reason = if ok {
                format!(
                    "first model: f1_weighted {f1:.4} ≥ threshold {:.4}",
                    policy.min_f1_weighted
                )
            } else {
                format!(
                    "first model: f1_weighted {f1:.4} below threshold {:.4}",
                    policy.min_f1_weighted
                )
            };
            (ok, policy.min_f1_weighted, reason)
        }
        Some(champ) if champ.version == candidate.version => (
            false,
            champ.f1_weighted,
            format!("version {} is already the champion", champ.version),
        ),
        Some(champ) if candidate.holdout_id != champ.holdout_id => (
            false,
            champ.f1_weighted + policy.margin,
            format!(
                "not comparable: candidate evaluated on holdout {:?}, champion v{} on {:?}; re-evaluate on the same rows",
                candidate.holdout_id, champ.version, champ.holdout_id
            ),
        ),
        Some(champ)
            if let Some(p) = paired.filter(|p| {
                p.champion_version == champ.version
                    && candidate.holdout_id.as_deref() == Some(p.holdout_id.as_str())
            }) =>
        {
            let ok = p.ci_low > policy.min_improvement + EPS && p.delta_f1.is_finite();
            let numbers = format!(
                "ΔF1 {:+.4} ({:.0} % CI {:+.4} … {:+.4}, paired bootstrap over {} holdout rows; McNemar p = {:.3}, \
                 {} rows only it gets right, {} only the champion)",
                p.delta_f1,
                p.confidence * 100.0,
                p.ci_low,
                p.ci_high,
                p.rows,
                p.mcnemar_p,
                p.candidate_only_right,
                p.champion_only_right
            );
            let reason = if ok {
                format!("beats champion v{}: {numbers}", champ.version)
            } else {
                format!(
                    "not promoted: no significant improvement over champion v{}: {numbers}",
                    champ.version
                )
            };
            (ok, champ.f1_weighted + policy.min_improvement, reason)
        }
        Some(champ) => {
            let required = champ.f1_weighted + policy.margin;
            let ok = f1.is_finite() && f1 + EPS >= required;
            let verb = if ok { "beats" } else { "does not beat" };
            (
                ok,
                required,
                format!(
                    "f1_weighted {f1:.4} {verb} champion v{} ({:.4}) + margin {:.4} = {required:.4} \
                     (recorded scores: no paired comparison)",
                    champ.version, champ.f1_weighted, policy.margin
                ),
            )
        }
    };
    Decision {
        promote,
        reason,
        candidate: candidate.clone(),
        champion: champion.cloned(),
        required_f1_weighted: required,
        policy: *policy,
        paired: paired.cloned(),
    }
}

/// Weighted F1 of `predicted` against `labels` over the rows `rows` (indices, repeats allowed); `classes` maps
/// a label to its index among `n` classes.
fn f1_weighted_of(
    labels: &[usize],
    predicted: &[usize],
    rows: impl Iterator<Item = usize> + Clone,
    n: usize,
    counts: &mut [u32],
) -> f64 {
    // counts: support, true positives, predicted, per class.
    counts.iter_mut().for_each(|c| *c = 0);
    let mut total = 0u32;
    for i in rows {
        let (y, p) = (labels[i], predicted[i]);
        counts[y] += 1;
        counts[2 * n + p] += 1;
        if y == p {
            counts[n + y] += 1;
        }
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let mut sum = 0.0;
    for c in 0..n {
        let (support, tp, pred) = (counts[c], counts[n + c], counts[2 * n + c]);
        if support == 0 {
            continue;
        }
        let f1 = 2.0 * f64::from(tp) / f64::from(support + pred);
        sum += f64::from(support) * f1;
    }
    sum / f64::from(total)
}

/// SplitMix64: a small, seeded, platform-independent generator for the resamples.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// McNemar's exact two-sided p-value for `b` and `c` discordant rows (binomial with p = 1/2).
pub fn mcnemar_exact(b: usize, c: usize) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // P(X ≤ k) for X ~ Bin(n, 1/2), in logs to stay finite for large n.
    let ln_half_n = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut tail = 0.0f64;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// The paired comparison of a candidate and the champion on the same holdout rows: the weighted-F1 difference,
/// its percentile bootstrap interval (`policy.bootstrap_rounds` resamples of the rows, seeded by `seed`, both
/// models scored on each), and McNemar's test. `labels`, `candidate` and `champion` are row-aligned.
pub fn paired_comparison(
    policy: &Policy,
    champion_version: i64,
    holdout_id: &str,
    labels: &[i64],
    candidate: &[i64],
    champion: &[i64],
    seed: u64,
) -> Paired {
    assert!(
        labels.len() == candidate.len() && labels.len() == champion.len(),
        "row-aligned predictions"
    );
    let mut classes: Vec<i64> = labels
        .iter()
        .chain(candidate)
        .chain(champion)
        .copied()
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let index = |v: &[i64]| -> Vec<usize> {
        v.iter()
            .map(|x| classes.binary_search(x).expect("a known class"))
            .collect()
    };
    let (y, a, b) = (index(labels), index(candidate), index(champion));
    let (n, rows) = (classes.len(), labels.len());
    let mut counts = vec![0u32; 3 * n];
    let all = 0..rows;
    let delta_f1 = f1_weighted_of(&y, &a, all.clone(), n, &mut counts)
        - f1_weighted_of(&y, &b, all, n, &mut counts);
    let mut rng = SplitMix(seed);
    let rounds = policy.bootstrap_rounds.max(1);
    let mut sample = vec![0usize; rows];
    let mut deltas: Vec<f64> = (0..rounds)
        .map(|_| {
            sample.iter_mut().for_each(|s| *s = rng.below(rows));
            f1_weighted_of(&y, &a, sample.iter().copied(), n, &mut counts)
                - f1_weighted_of(&y, &b, sample.iter().copied(), n, &mut counts)
        })
        .collect();
    deltas.sort_by(f64::total_cmp);
    let tail = (1.0 - policy.confidence.clamp(0.0, 1.0)) / 2.0;
    let at = |q: f64| {
        let i = ((q * rounds as f64).floor() as usize).min(rounds as usize - 1);
        deltas[i]
    };
    let candidate_only_right = (0..rows).filter(|&i| a[i] == y[i] && b[i] != y[i]).count();
    let champion_only_right = (0..rows).filter(|&i| b[i] == y[i] && a[i] != y[i]).count();
    Paired {
        champion_version,
        holdout_id: holdout_id.to_string(),
        rows,
        delta_f1,
        ci_low: if rows == 0 { 0.0 } else { at(tail) },
        ci_high: if rows == 0 { 0.0 } else { at(1.0 - tail) },
        confidence: policy.confidence,
        rounds,
        candidate_only_right,
        champion_only_right,
        mcnemar_p: mcnemar_exact(candidate_only_right, champion_only_right),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(version: i64, f1: f64) -> Scored {
        Scored {
            version,
            f1_weighted: f1,
            holdout_id: Some("h1".into()),
        }
    }

    #[test]
    fn first_model_needs_the_threshold() {
        let p = Policy::default();
        assert!(decide(&p, &s(1, 0.75), None).promote, "at the threshold");
        assert!(decide(&p, &s(1, 0.7501), None).promote);
        assert!(!decide(&p, &s(1, 0.7499), None).promote);
        assert!(!decide(&p, &s(1, f64::NAN), None).promote);
        assert_eq!(decide(&p, &s(1, 0.5), None).required_f1_weighted, 0.75);
    }

    #[test]
    fn challenger_needs_the_margin() {
        let p = Policy::default();
        let champ = s(1, 0.80);
        assert!(
            decide(&p, &s(2, 0.805), Some(&champ)).promote,
            "exactly champion + margin"
        );
        assert!(decide(&p, &s(2, 0.81), Some(&champ)).promote);
        assert!(!decide(&p, &s(2, 0.8049), Some(&champ)).promote);
        assert!(
            !decide(&p, &s(2, 0.80), Some(&champ)).promote,
            "a tie is not a win"
        );
        assert!(!decide(&p, &s(2, 0.70), Some(&champ)).promote);
        let d = decide(&p, &s(2, 0.79), Some(&champ));
        assert!((d.required_f1_weighted - 0.805).abs() < 1e-12);
        assert!(d.reason.contains("does not beat"), "{}", d.reason);
    }

    #[test]
    fn a_challenger_below_the_first_threshold_can_still_win() {
        // The threshold is for the first model; later ones are judged against the champion.
        let p = Policy::default();
        assert!(decide(&p, &s(2, 0.70), Some(&s(1, 0.60))).promote);
    }

    #[test]
    fn different_holdouts_are_not_compared() {
        let p = Policy::default();
        let mut c = s(2, 0.99);
        c.holdout_id = Some("h2".into());
        let d = decide(&p, &c, Some(&s(1, 0.5)));
        assert!(!d.promote);
        assert!(d.reason.contains("not comparable"));
    }

    /// Labels of `n` rows over 5 classes, and predictions right on the rows `right` says.
    fn rows(n: usize, right: impl Fn(usize) -> bool) -> (Vec<i64>, Vec<i64>) {
        let labels: Vec<i64> = (0..n).map(|i| 10 + (i % 5) as i64).collect();
        let predicted = labels
            .iter()
            .enumerate()
            .map(|(i, &y)| if right(i) { y } else { 10 + (y + 1) % 5 })
            .collect();
        (labels, predicted)
    }

    #[test]
    fn a_clear_improvement_on_the_same_rows_is_promoted() {
        let p = Policy::default();
        let (labels, champion) = rows(2000, |i| i % 10 < 7); // 70 % right
        let (_, candidate) = rows(2000, |i| i % 10 < 8); // the same rows and 10 % more
        let paired = paired_comparison(&p, 1, "h1", &labels, &candidate, &champion, 7);
        assert_eq!(paired.rows, 2000);
        assert_eq!(
            (paired.candidate_only_right, paired.champion_only_right),
            (200, 0)
        );
        assert!(paired.delta_f1 > 0.05 && paired.ci_low > 0.0, "{paired:?}");
        assert!(paired.ci_low <= paired.delta_f1 && paired.delta_f1 <= paired.ci_high);
        assert!(paired.mcnemar_p < 1e-10, "{paired:?}");
        let d = decide_paired(&p, &s(2, 0.8), Some(&s(1, 0.7)), Some(&paired));
        assert!(d.promote, "{}", d.reason);
        assert!(
            d.reason.contains("95 % CI") && d.paired.is_some(),
            "{}",
            d.reason
        );
        // The same seed draws the same resamples.
        assert_eq!(
            paired,
            paired_comparison(&p, 1, "h1", &labels, &candidate, &champion, 7)
        );
    }

    #[test]
    fn a_small_difference_on_few_rows_is_not_significant() {
        let p = Policy::default();
        // 200 rows; the candidate wins 6 rows and loses 3: a higher score, but chance can do that.
        let (labels, champion) = rows(200, |i| i % 10 < 7);
        let (_, candidate) = rows(200, |i| (i % 10 < 7 && i >= 3) || (i % 10 == 7 && i < 60));
        let paired = paired_comparison(&p, 1, "h1", &labels, &candidate, &champion, 1);
        assert_eq!(
            (paired.candidate_only_right, paired.champion_only_right),
            (6, 3)
        );
        assert!(paired.delta_f1 > 0.0, "{paired:?}");
        assert!(paired.ci_low <= 0.0, "{paired:?}");
        let d = decide_paired(&p, &s(2, 0.71), Some(&s(1, 0.70)), Some(&paired));
        assert!(!d.promote);
        assert!(
            d.reason
                .starts_with("not promoted: no significant improvement"),
            "{}",
            d.reason
        );
        // The bare margin would have promoted it: 0.71 ≥ 0.70 + 0.005.
        assert!(decide(&p, &s(2, 0.71), Some(&s(1, 0.70))).promote);
    }

    #[test]
    fn identical_predictions_are_no_better() {
        let p = Policy::default();
        let (labels, same) = rows(500, |i| i % 3 != 0);
        let paired = paired_comparison(&p, 1, "h1", &labels, &same, &same, 3);
        assert_eq!(
            (paired.delta_f1, paired.ci_low, paired.ci_high),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(paired.mcnemar_p, 1.0);
        let d = decide_paired(&p, &s(2, 0.7), Some(&s(1, 0.7)), Some(&paired));
        assert!(
            !d.promote && d.reason.starts_with("not promoted: no significant"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn a_comparison_with_another_champion_is_not_used() {
        let p = Policy::default();
        let (labels, champion) = rows(2000, |i| i % 10 < 7);
        let (_, candidate) = rows(2000, |i| i % 10 < 8);
        let paired = paired_comparison(&p, 9, "h1", &labels, &candidate, &champion, 7);
        let d = decide_paired(&p, &s(2, 0.702), Some(&s(1, 0.70)), Some(&paired));
        assert!(!d.promote, "judged by the margin: {}", d.reason);
        assert!(d.reason.contains("no paired comparison"), "{}", d.reason);
    }

    #[test]
    fn mcnemar() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert!((mcnemar_exact(10, 0) - 2.0 / 1024.0).abs() < 1e-12);
        assert!((mcnemar_exact(0, 10) - 2.0 / 1024.0).abs() < 1e-12);
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        // Bin(20, 1/2): P(X ≤ 5) = 21700 / 2^20.
        assert!((mcnemar_exact(5, 15) - 2.0 * 21700.0 / 1_048_576.0).abs() < 1e-12);
        assert!(mcnemar_exact(5000, 5400) > 0.0);
    }

    #[test]
    fn the_champion_does_not_challenge_itself() {
        assert!(!decide(&Policy::default(), &s(1, 0.9), Some(&s(1, 0.9))).promote);
    }
}
