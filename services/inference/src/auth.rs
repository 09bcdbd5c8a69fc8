//! API keys and TLS, both off by default.
//!
//! Keys: REST `Authorization: Bearer <key>`, gRPC metadata `authorization: Bearer <key>`, on the prediction and
//! model endpoints (the probes, `/health`, `/metrics` and `/openapi.json` stay open: orchestrators and scrapers
//! call them without credentials). A refusal is 401 / UNAUTHENTICATED with one message whatever was wrong (no
//! header, another scheme, an unknown key), counted in `rakuten_api_errors_total{error_type="unauthenticated"}`.
//! Keys are kept as SHA-256 digests and compared in constant time.
//!
//! TLS: one certificate chain and key (PEM) for both ports, rustls with the ring provider; the REST listener
//! completes handshakes off its accept loop, so a slow client does not hold the others back.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The one refusal message: it does not say which part was wrong (the REST middleware `rest::require_key` and
/// the gRPC interceptor `grpc::KeyCheck` both answer it).
pub const UNAUTHENTICATED: &str = "a valid API key is required (Authorization: Bearer <key>)";

/// The accepted keys, as SHA-256 digests.
#[derive(Clone)]
pub struct ApiKeys(Arc<Vec<[u8; 32]>>);

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.0.len())
    }
}

impl ApiKeys {
    /// `None` when `keys` holds no key (authentication off). Blank entries are ignored.
    pub fn new<S: AsRef<str>>(keys: &[S]) -> Option<ApiKeys> {
        let digests: Vec<[u8; 32]> = keys
            .iter()
            .map(|k| k.as_ref().trim())
            .filter(|k| !k.is_empty())
            .map(|k| Sha256::digest(k.as_bytes()).into())
            .collect();
        (!digests.is_empty()).then(|| ApiKeys(Arc::new(digests)))
    }

    /// Whether an `authorization` header value carries an accepted key.
    pub fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(key) = authorization
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| {
                let (scheme, key) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
            })
        else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        // Every key compared, every byte: the time does not depend on where a guess differs.
        self.0.iter().fold(false, |found, k| {
            let diff = k.iter().zip(&digest).fold(0u8, |d, (a, b)| d | (a ^ b));
            found | (diff == 0)
        })
    }
}

/// A certificate chain and its private key, PEM files.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    fn read(&self) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
        let read = |p: &Path, what: &str| {
            std::fs::read(p).with_context(|| format!("reading the TLS {what} {}", p.display()))
        };
        Ok((read(&self.cert, "certificate")?, read(&self.key, "key")?))
    }

    /// The gRPC server's TLS settings.
    pub fn grpc(&self) -> anyhow::Result<tonic::transport::ServerTlsConfig> {
        let (cert, key) = self.read()?;
        self.rustls()?; // the same checks and messages as the REST side
        Ok(tonic::transport::ServerTlsConfig::new()
            .identity(tonic::transport::Identity::from_pem(cert, key)))
    }

    /// The REST server's rustls configuration (HTTP/2 and HTTP/1.1 by ALPN).
    pub fn rustls(&self) -> anyhow::Result<rustls::ServerConfig> {
        let (cert, key) = self.read()?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}: not a PEM certificate chain", self.cert.display()))?;
        anyhow::ensure!(
            !chain.is_empty(),
            "{}: no certificate in the file",
            self.cert.display()
        );
        let key = PrivateKeyDer::from_pem_slice(&key)
            .with_context(|| format!("{}: not a PEM private key", self.key.display()))?;
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .with_context(|| {
                format!(
                    "{} and {}: the key does not fit the certificate",
                    self.cert.display(),
                    self.key.display()
                )
            })?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// A TLS listener for `axum::serve`: TCP accepted in a task of its own, each handshake in a task of its own
/// (10 s at most), finished connections handed over in order of completion.
pub struct TlsListener {
    local: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: rustls::ServerConfig) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        let accepting = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            local,
            ready,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task is gone (it only ends when this listener is dropped): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_whatever_the_case_of_the_scheme() {
        let keys = ApiKeys::new(&["k-one", " k-two "]).unwrap();
        assert!(keys.accepts(Some(b"Bearer k-one")));
        assert!(keys.accepts(Some(b"bearer k-two")));
        assert!(!keys.accepts(Some(b"Bearer k-three")));
        assert!(!keys.accepts(Some(b"Basic k-one")));
        assert!(!keys.accepts(Some(b"k-one")));
        assert!(!keys.accepts(Some(b"Bearer ")));
        assert!(!keys.accepts(None));
        assert!(ApiKeys::new(&["", "  "]).is_none(), "no key: off");
    }
}
