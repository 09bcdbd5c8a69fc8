//! The data layer of the Rakuten MLOps platform.
//!
//! - [`store`]: one `Store` over PostgreSQL or SQLite (sqlx), migrated at connect, with the audit log.
//! - [`source`]: reading and validating the challenge's CSV files (errors name file and line).
//! - [`plan`]: the seeded, stratified holdout and load order.
//! - [`import`]: the source pool imported in one transaction (COPY on PostgreSQL).
//! - [`load`]: incremental loads, idempotent by batch name, audited.
//! - [`status`]: the current state (rows loaded, percent, per-class counts).
//! - [`dataset`]: versioned, balanced datasets as Parquet in the artifact store.
//! - [`columnar`]: the dataset rows' Parquet encoding.
//! - [`generate`]: the synthetic generator of challenge-format files.
//! - [`inference`]: the inference log (batched writes, windows for drift) and drift report records.
//! - [`artifacts`]: the artifact store (local folder or S3) with sha256 checks.

pub mod artifacts;
pub mod columnar;
pub mod dataset;
pub mod error;
pub mod generate;
pub mod import;
pub mod inference;
pub mod live;
pub mod load;
pub mod plan;
pub mod source;
pub mod status;
pub mod store;

pub use artifacts::ArtifactStore;
pub use dataset::{DatasetOptions, DatasetRow, DatasetVersion, Strategy};
pub use error::{DataError, Result};
pub use import::{ImportOptions, ImportReport};
pub use live::LiveScore;
pub use load::{LoadOutcome, LoadRequest, LoadStatus};
pub use source::{SourceFiles, SourceRow};
pub use status::DataStatus;
pub use store::Store;
