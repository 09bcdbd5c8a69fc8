//! The control room: a server-rendered web UI over the same database, registry, artifact store, Temporal and
//! inference services as the rest of the system (`rakuten control-room`, port 8080, started by `up`).
//!
//! Six pages (home, infrastructure, dataset, training, predictions, monitoring), HTML from compile-checked maud
//! templates (every interpolation escaped), charts as server-side SVG, no JavaScript. Reading is open; every
//! action needs the admin token (a login sets an HttpOnly, SameSite=Strict session cookie), every form carries a
//! CSRF token, and every action is written to the audit log with the operator's name.

mod actions;
mod auth;
mod charts;
mod layout;
mod pages;
mod queries;
mod temporal;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use data::{ArtifactStore, Store};
use registry::Registry;

pub use auth::SESSION_TTL;

/// What the control room reads and where the other services are.
#[derive(Clone, Debug)]
pub struct ControlRoomConfig {
    pub temporal_address: String,
    pub namespace: String,
    /// The Temporal web UI (deep links to each workflow), e.g. `http://127.0.0.1:8233`.
    pub temporal_ui: Option<String>,
    /// Base URLs of the inference services' REST gateways; the first one answers the prediction form.
    pub inference: Vec<String>,
    /// Sent as `Authorization: Bearer` to the inference services when they require keys.
    pub inference_api_key: Option<String>,
    pub prometheus: Option<String>,
    pub grafana: Option<String>,
    /// `RAKUTEN_ADMIN_TOKEN`; without it every action is refused.
    pub admin_token: Option<String>,
    /// The registered model the pages show.
    pub model_name: String,
    /// Failed logins allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
}

impl ControlRoomConfig {
    pub fn new(temporal_address: &str, namespace: &str) -> ControlRoomConfig {
        ControlRoomConfig {
            temporal_address: temporal_address.into(),
            namespace: namespace.into(),
            temporal_ui: None,
            inference: Vec::new(),
            inference_api_key: None,
            prometheus: None,
            grafana: None,
            admin_token: None,
            model_name: contracts::MODEL_NAME.into(),
            login_attempts_per_minute: 5,
            secure_cookies: false,
        }
    }
}

/// Shared state of the handlers.
pub struct App {
    pub config: ControlRoomConfig,
    pub store: Store,
    pub registry: Registry,
    pub artifacts: ArtifactStore,
    http: reqwest::Client,
    temporal: temporal::Temporal,
    auth: auth::Auth,
}

impl App {
    pub fn new(config: ControlRoomConfig, store: Store, artifacts: ArtifactStore) -> Arc<App> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        Arc::new(App {
            temporal: temporal::Temporal::new(&config.temporal_address, &config.namespace),
            auth: auth::Auth::new(config.admin_token.clone(), config.login_attempts_per_minute),
            registry: Registry::new(store.clone(), artifacts.clone()),
            config,
            store,
            artifacts,
            http,
        })
    }

    /// `actor` as the audit log records an operator acting from the UI.
    fn actor(operator: &str) -> String {
        format!("ui:{operator}")
    }
}

/// Every route of the control room.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::home::page))
        .route("/infrastructure", get(pages::infra::page))
        .route("/dataset", get(pages::dataset::page))
        .route("/training", get(pages::training::page))
        .route("/training/runs/{id}", get(pages::training::run_page))
        .route("/training/compare", get(pages::training::compare_page))
        .route("/predictions", get(pages::predictions::page))
        .route("/predictions/predict", post(pages::predictions::predict))
        .route("/predictions/batch", post(pages::predictions::batch_csv))
        .route("/monitoring", get(pages::monitoring::page))
        .route(
            "/monitoring/reports/{id}",
            get(pages::monitoring::report_page),
        )
        .route(
            "/monitoring/reports/{id}/html",
            get(pages::monitoring::report_html),
        )
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/confirm", get(actions::confirm_page))
        .route("/actions/{action}", post(actions::act))
        .route("/static/style.css", get(layout::stylesheet))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(layout::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::viewer_middleware,
        ))
        .with_state(app)
}

/// Serves the control room on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
