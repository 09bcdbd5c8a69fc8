//! Logs to stderr, filtered by `RUST_LOG` (default: info for our crates, warn for the rest).

pub fn init(verbose: bool) {
    let default = if verbose {
        "info,sqlx=warn"
    } else {
        "warn,rakuten=info,data=info"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
