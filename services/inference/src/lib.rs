//! The inference service as a library: gRPC (`rakuten.inference.v1`, `inference` v2, health, reflection) and the REST gateway
//! in one process, over one core. `rakuten serve` and `rakuten up` host it; tests start it on port 0.
//!
//! - [`core`]: the model slot, validation, prediction, metrics and logging shared by both transports.
//! - [`error`]: the one error table (HTTP status, gRPC code, metric label, field).
//! - [`grpc`] and [`rest`]: thin adapters; [`health`]: `/health` and `/metrics`; [`openapi`]: `/openapi.json`.
//! - [`v2`]: the Open Inference Protocol (KServe v2) over the same core, REST `/v2/…` and gRPC
//!   `inference.GRPCInferenceService`, for standard clients.
//! - [`shadow`]: the shadow model (alias `shadow`) scoring a fraction of the traffic off the request path.
//! - [`slot`]: the model being served; [`reload`]: the Production model at start and hot swaps on promotion.
//! - [`log`]: the inference log, batched off the request path; [`journal`]: its local journal on disk, for
//!   when the database is down or behind.
//! - [`metrics`]: the service's Prometheus instruments and the last drift check's gauges.
//!
//! Depends on the capability crates and `lifecycle` (loading a registered version, the drift check's gauges).
//! Must not depend on: the Temporal SDK, `workflows`, `worker`, clap, or the `rakuten` binary: a serving image
//! carries none of them (`.ci/check-layout` fails otherwise).
//!
//! [`start`] binds both ports (port 0 picks a free one: read the bound addresses from the [`ServeHandle`]) and
//! returns at once; the model loads in the background and health says so until it is served.

pub mod auth;
pub mod core;
pub mod error;
pub mod grpc;
pub mod health;
pub mod journal;
pub mod log;
pub mod metrics;
pub mod openapi;
pub mod reload;
pub mod rest;
pub mod shadow;
pub mod slot;
pub mod trace;
pub mod v2;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use data::Store;
use rakuten_proto::v1::inference_service_server::InferenceServiceServer;
use registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;

pub use self::core::{Bounds, Limits};
pub use self::log::{JournalSettings, LogConfig};

/// Default ports of the design: REST 8000, gRPC 50051.
pub const DEFAULT_HTTP_PORT: u16 = 8000;
pub const DEFAULT_GRPC_PORT: u16 = 50051;

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub host: IpAddr,
    /// 0: any free port.
    pub http_port: u16,
    pub grpc_port: u16,
    pub model_name: String,
    pub limits: Limits,
    /// Work taken on at once, and the request timeout.
    pub bounds: core::Bounds,
    /// How often the registry watcher re-reads the model's generation (SQLite; PostgreSQL is notified).
    pub poll: Duration,
    /// How often the Production version is checked regardless of notifications.
    pub recheck: Duration,
    pub log: LogConfig,
    /// More metrics for `/metrics`, from whatever else runs in this process (`rakuten up` adds the worker's,
    /// which include the last drift check: the service's own drift gauges are then left out).
    pub extra_metrics: Option<core::ExtraMetrics>,
    /// Keys required on the prediction and model endpoints, REST and gRPC (`None`: open).
    pub api_keys: Option<auth::ApiKeys>,
    /// TLS on both ports (`None`: plain).
    pub tls: Option<auth::TlsFiles>,
    /// How much the shadow model (registry alias `shadow`) scores.
    pub shadow: shadow::ShadowConfig,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            http_port: DEFAULT_HTTP_PORT,
            grpc_port: DEFAULT_GRPC_PORT,
            model_name: contracts::MODEL_NAME.to_string(),
            limits: Limits::default(),
            bounds: core::Bounds::default(),
            poll: Duration::from_secs(5),
            recheck: Duration::from_secs(30),
            log: LogConfig::default(),
            extra_metrics: None,
            api_keys: None,
            tls: None,
            shadow: shadow::ShadowConfig::default(),
        }
    }
}

/// A running service. [`ServeHandle::shutdown`] stops accepting, lets in-flight requests finish, then flushes
/// the inference log.
pub struct ServeHandle {
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub core: Arc<core::Core>,
    health: tonic_health::server::HealthReporter,
    stop: watch::Sender<bool>,
    stop_log: watch::Sender<bool>,
    servers: Vec<JoinHandle<anyhow::Result<()>>>,
    reloader: JoinHandle<()>,
    shadow: JoinHandle<()>,
    log_writer: JoinHandle<()>,
}

/// Binds both ports and starts serving; the Production model of `config.model_name` loads in the background.
pub async fn start(
    config: ServeConfig,
    store: Store,
    registry: Registry,
) -> anyhow::Result<ServeHandle> {
    let http = TcpListener::bind((config.host, config.http_port))
        .await
        .with_context(|| format!("binding the HTTP port {}:{}", config.host, config.http_port))?;
    let grpc = TcpListener::bind((config.host, config.grpc_port))
        .await
        .with_context(|| format!("binding the gRPC port {}:{}", config.host, config.grpc_port))?;
    let (http_addr, grpc_addr) = (http.local_addr()?, grpc.local_addr()?);

    let (stop, stop_rx) = watch::channel(false);
    let (stop_log, stop_log_rx) = watch::channel(false);
    let (log, log_writer) = log::start(store, config.log.clone(), stop_log_rx).await?;
    let mut core = core::Core::new(config.model_name.clone(), config.limits, &registry, log)
        .with_bounds(config.bounds)
        .with_shadow(config.shadow);
    core.extra_metrics = config.extra_metrics.clone();
    core.api_keys = config.api_keys.clone();
    let core = Arc::new(core);

    let (health, health_service) = tonic_health::server::health_reporter();
    let reloader = reload::Reloader {
        core: core.clone(),
        registry,
        health: health.clone(),
        poll: config.poll,
        recheck: config.recheck,
    };
    reloader.set_health(ServingStatus::NotServing).await;
    // Server reflection in both versions: v1, and v1alpha for the clients that still speak only it (grpcurl
    // 1.8, older grpc_cli and Postman builds).
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(rakuten_proto::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let reflection = reflection().build_v1()?;
    let inference = tonic::service::interceptor::InterceptedService::new(
        InferenceServiceServer::new(grpc::GrpcService { core: core.clone() })
            .max_decoding_message_size(config.limits.max_body_bytes),
        grpc::KeyCheck(core.clone()),
    );
    let open_inference = tonic::service::interceptor::InterceptedService::new(
        rakuten_proto::kserve::grpc_inference_service_server::GrpcInferenceServiceServer::new(
            v2::grpc::V2Service { core: core.clone() },
        )
        .max_decoding_message_size(config.limits.max_body_bytes),
        grpc::KeyCheck(core.clone()),
    );
    // TLS files are read (and checked) before anything listens.
    let rest_tls = config.tls.as_ref().map(|t| t.rustls()).transpose()?;
    let mut grpc_builder = tonic::transport::Server::builder();
    if let Some(tls) = &config.tls {
        grpc_builder = grpc_builder
            .tls_config(tls.grpc()?)
            .context("the gRPC server's TLS settings")?;
    }
    let grpc_server = grpc_builder
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(inference)
        .add_service(open_inference)
        .serve_with_incoming_shutdown(
            TcpIncoming::from(grpc).with_nodelay(Some(true)),
            stopped(stop_rx.clone()),
        );
    let router = rest::router(core.clone());
    let http_server = match rest_tls {
        Some(tls) => {
            let listener = auth::TlsListener::new(http, tls)?;
            let server =
                axum::serve(listener, router).with_graceful_shutdown(stopped(stop_rx.clone()));
            tokio::spawn(async move { server.await.context("HTTPS server") })
        }
        None => {
            let http = http.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let server = axum::serve(http, router).with_graceful_shutdown(stopped(stop_rx.clone()));
            tokio::spawn(async move { server.await.context("HTTP server") })
        }
    };
    let servers = vec![
        tokio::spawn(async move { grpc_server.await.context("gRPC server") }),
        http_server,
    ];
    let reloader = tokio::spawn(reloader.run(stop_rx.clone()));
    let metrics_core = core.clone();
    let shadow = tokio::spawn(shadow::run(
        core.shadow.clone(),
        move |version, per_item, pairs| {
            metrics_core.metrics.shadow_scored(version, per_item, pairs)
        },
        core.take_shadow_jobs().expect("a new core's shadow queue"),
        stop_rx,
    ));
    tracing::info!(%http_addr, %grpc_addr, model = %config.model_name, "inference service listening");
    Ok(ServeHandle {
        http_addr,
        grpc_addr,
        core,
        health,
        stop,
        stop_log,
        servers,
        reloader,
        shadow,
        log_writer,
    })
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    stop_requested(&mut rx).await
}

/// Resolves once the stop flag is true (at once if it already is). Holds no guard across awaits.
pub(crate) async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// The deadline passed with requests still in flight: they were cut.
    pub cut: bool,
}

impl ServeHandle {
    /// Stops accepting, waits for in-flight requests, stops the model watcher, then writes the queued log rows.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.drain(Duration::ZERO, Duration::MAX).await.map(|_| ())
    }

    /// The orderly stop an orchestrator expects on SIGTERM: not ready at once (`/readyz` 503, gRPC health
    /// NOT_SERVING), still serving for `delay` (while load balancers take the replica out), then no new
    /// connections and up to `deadline` for the requests in flight; those still running then are cut. The
    /// log's queued rows are written in every case.
    pub async fn drain(self, delay: Duration, deadline: Duration) -> anyhow::Result<Drained> {
        self.core.start_draining();
        for service in [reload::GRPC_SERVICE, ""] {
            self.health
                .set_service_status(service, tonic_health::ServingStatus::NotServing)
                .await;
        }
        if deadline == Duration::MAX {
            tracing::info!("stopping: finishing the requests in flight");
        } else {
            tracing::info!(?delay, ?deadline, "draining: not ready");
        }
        tokio::time::sleep(delay).await;
        let _ = self.stop.send(true);
        let mut result = Ok(());
        let mut cut = false;
        let until = tokio::time::Instant::now()
            .checked_add(deadline)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400 * 365));
        for mut server in self.servers {
            match tokio::time::timeout_at(until, &mut server).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => result = Err(e),
                Ok(Err(e)) => result = Err(e.into()),
                Err(_) => {
                    cut = true;
                    server.abort();
                }
            }
        }
        if cut {
            tracing::warn!(
                ?deadline,
                "drain deadline passed: requests still in flight were cut"
            );
        }
        let _ = self.reloader.await;
        let _ = self.shadow.await;
        let _ = self.stop_log.send(true);
        self.log_writer.await?;
        tracing::info!("inference service stopped");
        result.map(|()| Drained { cut })
    }
}
