//! Deterministic Temporal workflows.
