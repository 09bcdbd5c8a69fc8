//! `rakuten serve`: the inference service until SIGINT/SIGTERM.

use super::{BadInput, open_artifacts, open_store};
use crate::cli::{Global, ServeArgs};
use inference::{Bounds, JournalSettings, Limits, LogConfig, ServeConfig};

pub async fn run(g: &Global, args: ServeArgs) -> anyhow::Result<()> {
    for (flag, value) in [
        ("--max-text-chars", args.max_text_chars),
        ("--max-batch-items", args.max_batch_items),
        ("--max-body-bytes", args.max_body_bytes),
        ("--log-queue-rows", args.log_queue_rows),
        ("--max-in-flight", args.max_in_flight),
        (
            "--max-batch-items-in-flight",
            args.max_batch_items_in_flight,
        ),
    ] {
        if value == 0 {
            return Err(BadInput(format!("{flag} must be at least 1")).into());
        }
    }
    if args.max_batch_items_in_flight < args.max_batch_items {
        return Err(BadInput(format!(
            "--max-batch-items-in-flight ({}) must be at least --max-batch-items ({}): a full batch could never run",
            args.max_batch_items_in_flight, args.max_batch_items
        ))
        .into());
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
        bounds: Bounds {
            max_in_flight: args.max_in_flight,
            max_batch_items_in_flight: args.max_batch_items_in_flight,
            request_timeout: args.request_timeout,
        },
        log: LogConfig {
            queue_rows: args.log_queue_rows,
            journal: (args.log_journal_max_bytes > 0).then(|| JournalSettings {
                max_bytes: args.log_journal_max_bytes,
                ..JournalSettings::new(&args.log_journal_dir)
            }),
            ..LogConfig::default()
        },
        api_keys: inference::auth::ApiKeys::new(&args.api_keys),
        tls: match (args.tls_cert, args.tls_key) {
            (Some(cert), Some(key)) => Some(inference::auth::TlsFiles { cert, key }),
            _ => None,
        },
        shadow: inference::shadow::ShadowConfig {
            fraction: args.shadow_fraction,
            queue: args.shadow_queue,
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
    tracing::info!("shutdown signal received; draining");
    let drained = handle.drain(args.drain_delay, args.drain_timeout).await?;
    if drained.cut {
        tracing::warn!(deadline = ?args.drain_timeout, "requests still in flight at the drain deadline were cut");
    }
    Ok(())
}
