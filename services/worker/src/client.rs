//! A Temporal client bound to a namespace, for the worker and for whoever starts workflows.

use std::time::{Duration, Instant};

use anyhow::Context;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, Url};

fn target_url(address: &str) -> anyhow::Result<Url> {
    let with_scheme = if address.contains("://") {
        address.to_string()
    } else {
        format!("http://{address}")
    };
    Url::parse(&with_scheme)
        .with_context(|| format!("--temporal-address {address:?} is not host:port"))
}

/// A client bound to the namespace.
pub async fn connect(address: &str, namespace: &str) -> anyhow::Result<Client> {
    let options = ConnectionOptions::new(target_url(address)?)
        .identity(format!("rakuten@{}", std::process::id()))
        .build();
    let connection = Connection::connect(options)
        .await
        .with_context(|| format!("connecting to Temporal at {address}"))?;
    Ok(Client::new(
        connection,
        ClientOptions::new(namespace).build(),
    )?)
}

/// Connects, retrying until `deadline` passes: for a server that is starting.
pub async fn connect_when_ready(
    address: &str,
    namespace: &str,
    within: Duration,
) -> anyhow::Result<Client> {
    let deadline = Instant::now() + within;
    let mut wait = Duration::from_millis(50);
    loop {
        match connect(address, namespace).await {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() >= deadline => {
                return Err(e.context(format!("Temporal at {address} not ready after {within:?}")));
            }
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(500));
            }
        }
    }
}
