//! Calibrated confidence: temperature scaling (Guo et al., 2017). One number `T` divides the logits before the
//! softmax; it is fitted on validation rows by minimising their negative log-likelihood, saved in config.json and
//! applied at serving. It never changes which class wins, only how sure the model says it is.
//!
//! Expected calibration error ([`ece`]): rows binned by their top probability into 15 equal-width bins, the
//! row-weighted mean over bins of |accuracy − mean confidence|.

use serde::{Deserialize, Serialize};

use crate::net::softmax;

/// Bins of [`ece`].
pub const ECE_BINS: usize = 15;

/// What calibration found on the validation rows (in metrics.json).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub temperature: f32,
    /// The top class's scaling after the temperature (absent in metrics of models saved before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<TopScaling>,
    pub ece_before: f64,
    pub ece_after: f64,
    pub rows: usize,
}

/// Fits the temperature, then the top class's scaling, on validation logits and reports ECE before and after.
pub fn calibrate(logits: &[Vec<f32>], truth: &[usize]) -> Calibration {
    let temperature = fit_temperature(logits, truth);
    let probs = |t: f32| -> Vec<Vec<f32>> { logits.iter().map(|l| probabilities(l, t)).collect() };
    let tempered = probs(temperature);
    let top = TopScaling::fit(&tempered, truth);
    let after: Vec<Vec<f32>> = tempered
        .into_iter()
        .map(|mut p| {
            if let Some(top) = &top {
                top.apply(&mut p);
            }
            p
        })
        .collect();
    Calibration {
        temperature,
        top,
        ece_before: ece(&probs(1.0), truth),
        ece_after: ece(&after, truth),
        rows: truth.len(),
    }
}

/// Platt scaling of the top class after the temperature: its probability `p` becomes
/// `σ(slope · logit(p) + intercept)`, the other classes share the rest in their proportions. One temperature
/// cannot mend a model that is over-confident at the top and under-confident below (what the benchmark's bins
/// showed after temperature scaling: 0.986 said, 0.954 right; 0.17 said, 0.32 right); two numbers can. The top
/// class stays the top class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TopScaling {
    pub slope: f32,
    pub intercept: f32,
}

/// Fewest validation rows to fit [`TopScaling`] on.
const TOP_SCALING_MIN_ROWS: usize = 100;

impl TopScaling {
    /// Logistic regression of "the top class is right" on the top probability's log-odds (Newton's method,
    /// with a light pull towards the identity); `None` with too few rows, or when every row is right or every
    /// row wrong.
    pub fn fit(probs: &[Vec<f32>], truth: &[usize]) -> Option<Self> {
        let points: Vec<(f64, f64)> = probs
            .iter()
            .zip(truth)
            .map(|(p, &y)| {
                let (best, top) = top_of(p);
                (logit(f64::from(top)), f64::from(u8::from(best == y)))
            })
            .collect();
        let right = points.iter().filter(|(_, y)| *y > 0.5).count();
        if points.len() < TOP_SCALING_MIN_ROWS || right == 0 || right == points.len() {
            return None;
        }
        let ridge = 1.0;
        let (mut a, mut b) = (1.0f64, 0.0f64);
        for _ in 0..50 {
            // Gradient and Hessian of the NLL + ridge/2 · ((a − 1)² + b²).
            let (mut ga, mut gb) = (ridge * (a - 1.0), ridge * b);
            let (mut haa, mut hab, mut hbb) = (ridge, 0.0, ridge);
            for &(x, y) in &points {
                let q = sigmoid(a * x + b);
                let (r, w) = (q - y, q * (1.0 - q));
                ga += r * x;
                gb += r;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-12 {
                break;
            }
            let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
            a -= da;
            b -= db;
            if da.abs() + db.abs() < 1e-9 {
                break;
            }
        }
        (a.is_finite() && b.is_finite() && a > 0.0).then_some(Self {
            slope: a as f32,
            intercept: b as f32,
        })
    }

    /// Rescales probabilities that sum to one in place.
    pub fn apply(&self, probs: &mut [f32]) {
        let (best, top) = top_of(probs);
        let rest = 1.0 - f64::from(top);
        if rest <= 1e-12 {
            return;
        }
        let second = probs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, &p)| f64::from(p))
            .fold(0.0, f64::max);
        let scaled =
            sigmoid(f64::from(self.slope) * logit(f64::from(top)) + f64::from(self.intercept));
        // Never below the second class once that is rescaled too: the answer does not change.
        let scaled = scaled.max(second / (rest + second)).min(1.0);
        let factor = (1.0 - scaled) / rest;
        for (i, p) in probs.iter_mut().enumerate() {
            *p = if i == best {
                scaled as f32
            } else {
                (f64::from(*p) * factor) as f32
            };
        }
    }
}

fn top_of(p: &[f32]) -> (usize, f32) {
    p.iter().enumerate().fold(
        (0, f32::NEG_INFINITY),
        |acc, (i, &v)| {
            if v > acc.1 { (i, v) } else { acc }
        },
    )
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-7, 1.0 - 1e-7);
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `softmax(logits / t)`.
pub fn probabilities(logits: &[f32], t: f32) -> Vec<f32> {
    let mut p: Vec<f32> = logits.iter().map(|l| l / t).collect();
    softmax(&mut p);
    p
}

/// Mean negative log-likelihood of the true classes at temperature `t`.
fn nll(logits: &[Vec<f32>], truth: &[usize], t: f64) -> f64 {
    let total: f64 = logits
        .iter()
        .zip(truth)
        .map(|(l, &y)| {
            let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let sum: f64 = l.iter().map(|&v| ((v as f64 - max) / t).exp()).sum();
            (max - l[y] as f64) / t + sum.ln()
        })
        .sum();
    total / truth.len().max(1) as f64
}

/// The temperature in [0.05, 20] with the least validation NLL (golden-section search over ln T; the NLL is
/// convex in 1/T). 1.0 when there are no rows.
pub fn fit_temperature(logits: &[Vec<f32>], truth: &[usize]) -> f32 {
    if truth.is_empty() {
        return 1.0;
    }
    let f = |x: f64| nll(logits, truth, x.exp());
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let mut c = b - ratio * (b - a);
    let mut d = a + ratio * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - ratio * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + ratio * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp() as f32
}

/// Per bin of [`ECE_BINS`]: rows, the sum of their top probabilities, and how many were right. Bins of several
/// test sets add up, so ECE can be taken over all their rows at once ([`EceBins::ece`]); an ECE of a small test set
/// is biased upwards by its sampling noise (about 0.025 for a perfectly calibrated model on 1,300 rows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EceBins {
    pub count: Vec<u64>,
    pub confidence: Vec<f64>,
    pub correct: Vec<f64>,
}

impl EceBins {
    /// The bins of the top-class probabilities of `probs` against `truth`.
    pub fn of(probs: &[Vec<f32>], truth: &[usize]) -> Self {
        let mut bins = Self {
            count: vec![0; ECE_BINS],
            confidence: vec![0.0; ECE_BINS],
            correct: vec![0.0; ECE_BINS],
        };
        for (p, &y) in probs.iter().zip(truth) {
            let (best, top) = top_of(p);
            let bin = ((top as f64 * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
            bins.count[bin] += 1;
            bins.confidence[bin] += top as f64;
            bins.correct[bin] += f64::from(u8::from(best == y));
        }
        bins
    }

    /// The row-weighted mean over bins of |accuracy − mean confidence|.
    pub fn ece(&self) -> f64 {
        let n = self.count.iter().sum::<u64>().max(1) as f64;
        self.correct
            .iter()
            .zip(&self.confidence)
            .map(|(c, p)| (c - p).abs() / n)
            .sum()
    }
}

/// Expected calibration error of the top-class probabilities over [`ECE_BINS`] equal-width bins.
pub fn ece(probs: &[Vec<f32>], truth: &[usize]) -> f64 {
    EceBins::of(probs, truth).ece()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Rows whose true class follows softmax(z) exactly, shown to the model as logits `scale · z`: a model that
    /// is over-confident by `scale`, so the best temperature is `scale`.
    fn overconfident(scale: f32, n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        (0..n)
            .map(|_| {
                let z: Vec<f32> = (0..5).map(|_| rng.random_range(-2.0f32..2.0)).collect();
                let p = probabilities(&z, 1.0);
                let u: f32 = rng.random();
                let mut acc = 0.0;
                let y = p
                    .iter()
                    .position(|&q| {
                        acc += q;
                        u < acc
                    })
                    .unwrap_or(4);
                (z.iter().map(|v| v * scale).collect(), y)
            })
            .unzip()
    }

    #[test]
    fn recovers_the_temperature_of_an_overconfident_model_and_lowers_ece() {
        let (logits, truth) = overconfident(3.0, 20_000);
        let c = calibrate(&logits, &truth);
        assert!((c.temperature - 3.0).abs() < 0.25, "{c:?}");
        assert!(c.ece_before > 0.1 && c.ece_after < 0.02, "{c:?}");
    }

    /// Rows whose top class is right with probability `truth_of(said)`, said `said`: a model whose confidence
    /// is wrong in a way one temperature cannot mend.
    fn miscalibrated_top(n: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        (0..n)
            .map(|_| {
                let said: f32 = rng.random_range(0.15f32..0.999);
                // Under-confident below, over-confident at the top.
                let right = 0.12 + 0.78 * said;
                let rest = (1.0 - said) / 4.0;
                let mut p = vec![rest; 5];
                p[0] = said;
                let y = if rng.random::<f32>() < right {
                    0
                } else {
                    rng.random_range(1..5)
                };
                (p, y)
            })
            .unzip()
    }

    #[test]
    fn top_scaling_mends_what_a_temperature_cannot_and_keeps_the_winner() {
        let (probs, truth) = miscalibrated_top(20_000);
        let before = ece(&probs, &truth);
        let top = TopScaling::fit(&probs, &truth).expect("enough rows, right and wrong");
        assert!(
            top.slope < 1.0,
            "the top's log-odds are compressed: {top:?}"
        );
        let after: Vec<Vec<f32>> = probs
            .iter()
            .map(|p| {
                let mut q = p.clone();
                top.apply(&mut q);
                assert!((q.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{q:?}");
                assert_eq!(
                    top_of(&q).0,
                    top_of(p).0,
                    "the winner stays: {p:?} -> {q:?}"
                );
                q
            })
            .collect();
        let after = ece(&after, &truth);
        // The best temperature alone, on the same rows (their log-probabilities as logits).
        let logits: Vec<Vec<f32>> = probs
            .iter()
            .map(|p| p.iter().map(|v| v.ln()).collect())
            .collect();
        let t = fit_temperature(&logits, &truth);
        let tempered: Vec<Vec<f32>> = logits.iter().map(|l| probabilities(l, t)).collect();
        let with_temperature = ece(&tempered, &truth);
        assert!(
            before > 0.03 && after < 0.6 * before && after < 0.6 * with_temperature,
            "ECE {before} -> {after} (a temperature alone: {with_temperature})"
        );
        // Too few rows, or nothing to learn (every row right): no scaling.
        assert_eq!(TopScaling::fit(&probs[..50], &truth[..50]), None);
        let all_right: Vec<usize> = probs.iter().map(|p| top_of(p).0).collect();
        assert_eq!(TopScaling::fit(&probs, &all_right), None);
    }

    #[test]
    fn ece_is_zero_when_confidence_matches_accuracy() {
        // Half right at confidence 0.5 (bin 7), all right at confidence 1.0 (last bin).
        let probs = vec![
            vec![0.5, 0.3, 0.2],
            vec![0.5, 0.3, 0.2],
            vec![1.0, 0.0, 0.0],
        ];
        assert!(ece(&probs, &[0, 1, 0]).abs() < 1e-9);
        // Always confident 0.9 and always wrong: ECE 0.9.
        assert!((ece(&[vec![0.9, 0.1]], &[1]) - 0.9).abs() < 1e-6);
    }

    #[test]
    fn bins_of_two_sets_pool_to_the_ece_of_their_union() {
        let (logits, truth) = overconfident(2.0, 3_000);
        let probs: Vec<Vec<f32>> = logits.iter().map(|l| probabilities(l, 1.0)).collect();
        let (a, b) = (
            EceBins::of(&probs[..1_000], &truth[..1_000]),
            EceBins::of(&probs[1_000..], &truth[1_000..]),
        );
        let mut pooled = a.clone();
        for k in 0..ECE_BINS {
            pooled.count[k] += b.count[k];
            pooled.confidence[k] += b.confidence[k];
            pooled.correct[k] += b.correct[k];
        }
        assert!((pooled.ece() - ece(&probs, &truth)).abs() < 1e-12);
        assert!((a.ece() - ece(&probs[..1_000], &truth[..1_000])).abs() < 1e-12);
        assert!(
            pooled.ece() > 0.05,
            "an over-confident model has a visible ECE: {}",
            pooled.ece()
        );
    }
}
