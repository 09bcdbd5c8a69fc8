//! The lifecycle's steps, as the Temporal activities (crate `worker`) and the CLI run them, over the capability
//! crates (`data`, `registry`, `model`, `drift`).
//!
//! - [`pipeline`]: dataset version → train (checkpointed, resumable) → score on the fixed holdout → register →
//!   promotion policy; each step idempotent; loading a registered version for serving or scoring.
//! - [`gauges`]: the lifecycle's state (loaded data, versions, live score, last drift) as Prometheus metrics.
//! - [`live`]: the live score: the Production model on each new labelled batch before training on it.
//! - [`monitoring`]: the drift check of the inference log against the training data; its report, its record and
//!   its Prometheus gauges.
//! - [`error`]: [`BadInput`] and [`is_bad_input`]: the one answer to "would retrying help?", read by the worker's
//!   retry policy (non-retryable failures) and the CLI's exit code (2).
//!
//! Must not depend on: the Temporal SDK, clap, the inference service or any transport (axum, tonic). This is
//! library code that a worker, a CLI or a test drives.

pub mod checkpoints;
pub mod error;
pub mod gauges;
pub mod live;
pub mod monitoring;
pub mod pipeline;

pub use error::{BadInput, is_bad_input};
pub use monitoring::{DriftCheck, drift_check};
pub use pipeline::Lifecycle;
