//! `rakuten`: a thin main over [`rakuten::run`]. Logs go to stderr; `--json` output to stdout.

use clap::Parser;

// Training allocates and frees many short-lived buffers; the system allocator spends ~3x the time in page faults.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = rakuten::cli::Cli::parse();
    let runtime = match rakuten::runtime::build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        let telemetry = rakuten::logging::init(
            cli.global.verbose,
            cli.global.log_format,
            cli.command.service_name(),
        );
        if let Some(decision) = rakuten::runtime::pinning() {
            tracing::debug!("runtime: {decision}");
        }
        let result = rakuten::run(cli).await;
        telemetry.shutdown().await;
        result
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(rakuten::exit_code(&e))
        }
    }
}
