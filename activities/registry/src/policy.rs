//! The promotion policy: one pure function, so every decision can be tested at and around its thresholds.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// The first model needs at least this weighted F1 on the fixed holdout.
    pub min_f1_weighted: f64,
    /// A challenger must reach the champion's weighted F1 plus this margin, on the same holdout rows.
    pub margin: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            min_f1_weighted: 0.75,
            margin: 0.005,
        }
    }
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
    /// The weighted F1 the candidate needed.
    pub required_f1_weighted: f64,
    pub policy: Policy,
}

/// Scores equal to the requirement up to float noise pass: "at the threshold" promotes.
const EPS: f64 = 1e-9;

pub fn decide(policy: &Policy, candidate: &Scored, champion: Option<&Scored>) -> Decision {
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
        Some(champ) => {
            let required = champ.f1_weighted + policy.margin;
            let ok = f1.is_finite() && f1 + EPS >= required;
            let verb = if ok { "beats" } else { "does not beat" };
            (
                ok,
                required,
                format!(
                    "f1_weighted {f1:.4} {verb} champion v{} ({:.4}) + margin {:.4} = {required:.4}",
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

    #[test]
    fn the_champion_does_not_challenge_itself() {
        assert!(!decide(&Policy::default(), &s(1, 0.9), Some(&s(1, 0.9))).promote);
    }
}
