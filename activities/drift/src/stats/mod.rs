//! The statistical tests, each reproducing the scipy call Evidently makes.

pub mod counts;
pub mod kolmogorov;
pub mod ks;
pub mod numeric;
