//! `rakuten control-room`: the web UI until SIGINT/SIGTERM.

use anyhow::Context;

use super::{open_artifacts, open_store};
use crate::cli::{ControlRoomArgs, Global};

pub async fn run(g: &Global, args: ControlRoomArgs) -> anyhow::Result<()> {
    let app = control_room::App::new(args.config(), open_store(g).await?, open_artifacts(g)?);
    let listener = tokio::net::TcpListener::bind((args.host, args.port))
        .await
        .with_context(|| format!("binding the control room to {}:{}", args.host, args.port))?;
    let address = listener.local_addr()?;
    // Scripts (and tests) read where to connect from here, before the first request.
    if g.json {
        println!(
            "{}",
            serde_json::json!({ "http": format!("http://{address}") })
        );
    } else {
        println!("control room on http://{address}");
    }
    if args.admin_token.as_deref().is_none_or(str::is_empty) {
        tracing::warn!("RAKUTEN_ADMIN_TOKEN is not set: the control room is read-only");
    }
    control_room::serve(listener, app, crate::runtime::shutdown_signal()).await
}
