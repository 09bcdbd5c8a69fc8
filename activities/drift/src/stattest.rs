//! The statistical tests by Evidently id, their display names, default thresholds, decision
//! rules, and Evidently's default choice per column type and sample size.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{ColumnType, DriftError};

/// Reference sizes up to this use the small-sample tests.
pub const SMALL_SAMPLE_MAX: usize = 1000;

/// A drift test, named by its Evidently registry id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatTest {
    Ks,
    ChiSquare,
    Z,
    Wasserstein,
    JensenShannon,
    Psi,
    PercTextContentDrift,
    AbsTextContentDrift,
}

impl StatTest {
    pub const ALL: [StatTest; 8] = [
        Self::Ks,
        Self::ChiSquare,
        Self::Z,
        Self::Wasserstein,
        Self::JensenShannon,
        Self::Psi,
        Self::PercTextContentDrift,
        Self::AbsTextContentDrift,
    ];

    /// Evidently's registry id (`ks`, `chisquare`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Self::Ks => "ks",
            Self::ChiSquare => "chisquare",
            Self::Z => "z",
            Self::Wasserstein => "wasserstein",
            Self::JensenShannon => "jensenshannon",
            Self::Psi => "psi",
            Self::PercTextContentDrift => "perc_text_content_drift",
            Self::AbsTextContentDrift => "abs_text_content_drift",
        }
    }

    /// The name Evidently shows in its reports.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Ks => "K-S p_value",
            Self::ChiSquare => "chi-square p_value",
            Self::Z => "Z-test p_value",
            Self::Wasserstein => "Wasserstein distance (normed)",
            Self::JensenShannon => "Jensen-Shannon distance",
            Self::Psi => "PSI",
            Self::PercTextContentDrift => "Percentile text content drift",
            Self::AbsTextContentDrift => "Absolute text content drift",
        }
    }

    pub fn default_threshold(self) -> f64 {
        match self {
            Self::Ks | Self::ChiSquare | Self::Z => 0.05,
            Self::Wasserstein | Self::JensenShannon | Self::Psi => 0.1,
            Self::PercTextContentDrift => 0.95,
            Self::AbsTextContentDrift => 0.55,
        }
    }

    /// Whether a larger score means more drift (distances) rather than less (p-values).
    pub fn is_distance(self) -> bool {
        !matches!(self, Self::Ks | Self::ChiSquare | Self::Z)
    }

    /// The column types Evidently registers the test for.
    pub fn allows(self, column_type: ColumnType) -> bool {
        use ColumnType::*;
        match self {
            Self::Ks | Self::Wasserstein => column_type == Numerical,
            Self::ChiSquare | Self::Z => column_type == Categorical,
            Self::JensenShannon | Self::Psi => column_type != Text,
            Self::PercTextContentDrift | Self::AbsTextContentDrift => column_type == Text,
        }
    }

    /// Evidently's decision rule, comparisons included (KS `<=`, chi-square and Z `<`,
    /// distances `>=`). A NaN score never means drift. Text tests compare against their
    /// cut-off in [`crate::text`].
    pub fn detects(self, score: f64, threshold: f64) -> bool {
        match self {
            Self::Ks => score <= threshold,
            Self::ChiSquare | Self::Z => score < threshold,
            Self::Wasserstein | Self::JensenShannon | Self::Psi => score >= threshold,
            Self::PercTextContentDrift | Self::AbsTextContentDrift => score > threshold,
        }
    }

    /// Evidently's default test (`_get_default_stattest`): `n_reference` counts the cleaned
    /// reference values, `n_unique` the distinct values over both sides.
    pub fn default_for(column_type: ColumnType, n_reference: usize, n_unique: usize) -> Self {
        let small = n_reference <= SMALL_SAMPLE_MAX;
        match column_type {
            ColumnType::Text if small => Self::PercTextContentDrift,
            ColumnType::Text => Self::AbsTextContentDrift,
            // chi-square and Z are returned for numerical columns too, as Evidently does.
            ColumnType::Numerical if small && n_unique > 5 => Self::Ks,
            ColumnType::Numerical if n_unique > 5 => Self::Wasserstein,
            _ if !small => Self::JensenShannon,
            _ if n_unique > 2 => Self::ChiSquare,
            _ => Self::Z,
        }
    }
}

impl fmt::Display for StatTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for StatTest {
    type Err = DriftError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| DriftError::UnknownStatTest(s.to_string()))
    }
}

impl Serialize for StatTest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for StatTest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_selection_follows_evidently() {
        use ColumnType::*;
        assert_eq!(StatTest::default_for(Numerical, 1000, 6), StatTest::Ks);
        assert_eq!(
            StatTest::default_for(Numerical, 1001, 6),
            StatTest::Wasserstein
        );
        assert_eq!(
            StatTest::default_for(Numerical, 500, 5),
            StatTest::ChiSquare
        );
        assert_eq!(StatTest::default_for(Numerical, 500, 2), StatTest::Z);
        assert_eq!(
            StatTest::default_for(Numerical, 5000, 2),
            StatTest::JensenShannon
        );
        assert_eq!(
            StatTest::default_for(Categorical, 500, 27),
            StatTest::ChiSquare
        );
        assert_eq!(StatTest::default_for(Categorical, 500, 2), StatTest::Z);
        assert_eq!(
            StatTest::default_for(Categorical, 1001, 2),
            StatTest::JensenShannon
        );
        assert_eq!(
            StatTest::default_for(Text, 1000, 0),
            StatTest::PercTextContentDrift
        );
        assert_eq!(
            StatTest::default_for(Text, 1001, 0),
            StatTest::AbsTextContentDrift
        );
    }

    #[test]
    fn decision_rules_use_evidently_comparisons() {
        assert!(StatTest::Ks.detects(0.05, 0.05));
        assert!(!StatTest::ChiSquare.detects(0.05, 0.05));
        assert!(StatTest::Wasserstein.detects(0.1, 0.1));
        assert!(!StatTest::AbsTextContentDrift.detects(0.55, 0.55));
        assert!(!StatTest::Wasserstein.detects(f64::NAN, 0.1));
        assert_eq!(
            "jensenshannon".parse::<StatTest>().unwrap(),
            StatTest::JensenShannon
        );
        assert!("nope".parse::<StatTest>().is_err());
    }
}
