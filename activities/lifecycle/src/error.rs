//! Bad input or transient: the one classification of a lifecycle failure.
//!
//! Bad input is the caller's mistake (a malformed file, an unknown model type, a dataset version that does not
//! exist, a refused load): the same call fails the same way, so the worker raises it non-retryable and the CLI
//! exits 2. Everything else (a database or artifact store that did not answer, an I/O error, a panic in a
//! blocking task) may pass, so the worker's retry policy retries it and the CLI exits 1.

/// A mistake in what the caller asked for (exit code 2, non-retryable).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

impl BadInput {
    pub fn new(message: impl Into<String>) -> BadInput {
        BadInput(message.into())
    }
}

/// Whether `e` is the caller's bad input: [`BadInput`] or a capability crate's input error.
pub fn is_bad_input(e: &anyhow::Error) -> bool {
    if e.downcast_ref::<BadInput>().is_some() {
        return true;
    }
    if let Some(d) = e.downcast_ref::<data::DataError>() {
        return d.is_bad_input();
    }
    if let Some(r) = e.downcast_ref::<registry::RegistryError>() {
        return r.is_bad_input();
    }
    if let Some(m) = e.downcast_ref::<model::ModelError>() {
        return !matches!(
            m,
            model::ModelError::Io { .. }
                | model::ModelError::Cancelled
                | model::ModelError::Candle(_)
                | model::ModelError::Plot { .. }
        );
    }
    // A fixture file or a column the caller gave.
    e.downcast_ref::<drift::DriftError>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert!(is_bad_input(&BadInput::new("no such dataset").into()));
        assert!(is_bad_input(
            &anyhow::Error::from(BadInput::new("x")).context("while training")
        ));
        assert!(!is_bad_input(&anyhow::anyhow!("connection reset")));
        let io = std::io::Error::other("disk full");
        assert!(!is_bad_input(&io.into()));
        assert!(is_bad_input(&data::DataError::NothingLoaded.into()));
    }
}
