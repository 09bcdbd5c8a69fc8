//! `rakuten serve`: the inference service until SIGINT/SIGTERM.

use super::{BadInput, open_artifacts, open_store};
use crate::cli::{Global, ServeArgs};
use inference::{JournalSettings, Limits, LogConfig, ServeConfig};

pub async fn run(g: &Global, args: ServeArgs) -> anyhow::Result<()> {
    for (flag, value) in [
        ("--max-text-chars", args.max_text_chars),
        ("--max-batch-items", args.max_batch_items),
        ("--max-body-bytes", args.max_body_bytes),
        ("--log-queue-rows", args.log_queue_rows),
    ] {
        if value == 0 {
            return Err(BadInput(format!("{flag} must be at least 1")).into());
        }
    }
    let store = open_store(g).await?;
    let registry = registry::Registry::new(store.clone(), open_artifacts(g)?);
    let config = ServeConfig {
        host: args.host,
        http_port: args.http_port,
        grpc_port: args.grpc_port,
        model_name: args.model_name,
        limits: Limits {
            max_text_chars: args.max_text_chars,
            max_batch_items: args.max_batch_items,
            max_body_bytes: args.max_body_bytes,
        },
        poll: args.poll,
        log: LogConfig {
            queue_rows: args.log_queue_rows,
            journal: (args.log_journal_max_bytes > 0).then(|| JournalSettings {
                max_bytes: args.log_journal_max_bytes,
                ..JournalSettings::new(&args.log_journal_dir)
            }),
            ..LogConfig::default()
        },
        ..ServeConfig::default()
    };
    let handle = inference::start(config, store, registry).await?;
    // Scripts (and `rakuten up`) read where to connect from here, before the first request.
    let addresses = serde_json::json!({
        "http": format!("http://{}", handle.http_addr),
        "grpc": format!("http://{}", handle.grpc_addr),
    });
    if g.json {
        println!("{addresses}");
    } else {
        println!(
            "serving REST on http://{} and gRPC on {}",
            handle.http_addr, handle.grpc_addr
        );
    }
    crate::runtime::shutdown_signal().await;
    tracing::info!("shutdown signal received; finishing in-flight requests");
    handle.shutdown().await
}
