//! Who is looking, and who may act: the CSRF cookie every visitor gets, admin sessions from the login form,
//! rate-limited failed logins, and the security headers of every answer.
//!
//! CSRF: a random token in a `SameSite=Strict` cookie, repeated in a hidden field of every form (double submit);
//! a POST whose field does not match its cookie is refused before anything else is read. Sessions: the login
//! form compares the admin token (as SHA-256 digests, in constant time) and sets an HttpOnly, SameSite=Strict
//! session cookie naming the operator; sessions live in memory for [`SESSION_TTL`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::App;
use crate::layout::{self, Flash, Viewer};

pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
const CSRF_COOKIE: &str = "rk_csrf";
const SESSION_COOKIE: &str = "rk_session";
const FAILED_LOGIN_WINDOW: Duration = Duration::from_secs(60);

struct Session {
    operator: String,
    expires: Instant,
}

pub struct Auth {
    token_digest: Option<[u8; 32]>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
    attempts_per_minute: u32,
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Equal digests, compared without an early exit.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Auth {
    pub fn new(token: Option<String>, attempts_per_minute: u32) -> Auth {
        Auth {
            token_digest: token.filter(|t| !t.is_empty()).map(|t| digest(&t)),
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            attempts_per_minute: attempts_per_minute.max(1),
        }
    }

    fn operator(&self, session: &str) -> Option<String> {
        let mut sessions = self.sessions.lock().unwrap();
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.get(session).map(|s| s.operator.clone())
    }

    /// Too many failed logins from `ip` in the last minute.
    fn throttled(&self, ip: IpAddr) -> bool {
        let mut failures = self.failures.lock().unwrap();
        let now = Instant::now();
        let list = failures.entry(ip).or_default();
        list.retain(|t| now.duration_since(*t) < FAILED_LOGIN_WINDOW);
        list.len() >= self.attempts_per_minute as usize
    }

    fn record_failure(&self, ip: IpAddr) {
        self.failures
            .lock()
            .unwrap()
            .entry(ip)
            .or_default()
            .push(Instant::now());
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(app: &App, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if app.config.secure_cookies {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("a cookie of hex and ASCII")
}

/// Puts the [`Viewer`] in the request, gives a new visitor a CSRF cookie, and sets the security headers.
pub async fn viewer_middleware(
    State(app): State<Arc<App>>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let existing = cookie(headers, CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    let operator = cookie(headers, SESSION_COOKIE).and_then(|s| app.auth.operator(s));
    let new_csrf = existing.is_none();
    let viewer = Viewer {
        csrf: existing.unwrap_or_else(random_token),
        operator,
        actions_enabled: app.auth.token_digest.is_some(),
    };
    let csrf = viewer.csrf.clone();
    req.extensions_mut().insert(viewer);
    let started = Instant::now();
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // The time spent at the server, for the browser's dev tools and the page benchmark.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "app;dur={:.2}",
        started.elapsed().as_secs_f64() * 1e3
    )) {
        h.insert("server-timing", v);
    }
    if new_csrf {
        h.append(
            header::SET_COOKIE,
            set_cookie(&app, CSRF_COOKIE, &csrf, None),
        );
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A form's CSRF field checked against the visitor's cookie: `Err` is the 403 to answer.
pub fn check_csrf(
    viewer: &Viewer,
    headers: &HeaderMap,
    field: Option<&str>,
) -> Result<(), Box<Response>> {
    let cookie_token = cookie(headers, CSRF_COOKIE);
    match (cookie_token, field) {
        (Some(c), Some(f)) if !c.is_empty() && same(&digest(c), &digest(f)) => Ok(()),
        _ => Err(Box::new(layout::error_page(
            viewer,
            StatusCode::FORBIDDEN,
            "Refused: the form's CSRF token is missing or does not match this browser's. Reload the page and try again.",
        ))),
    }
}

/// The operator of an action: `Err` is the 401 to answer (no session, or no admin token configured).
pub fn require_operator(viewer: &Viewer) -> Result<String, Box<Response>> {
    if !viewer.actions_enabled {
        return Err(Box::new(layout::error_page(
            viewer,
            StatusCode::FORBIDDEN,
            "Actions are disabled: start the control room with RAKUTEN_ADMIN_TOKEN set.",
        )));
    }
    viewer.operator.clone().ok_or_else(|| {
        Box::new(layout::error_page(
            viewer,
            StatusCode::UNAUTHORIZED,
            "This action needs an operator session: log in with the admin token first.",
        ))
    })
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only local paths: never an open redirect.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

pub async fn login_page(
    Extension(viewer): Extension<Viewer>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    login_form(&viewer, q.next.as_deref(), None, StatusCode::OK)
}

fn login_form(
    viewer: &Viewer,
    next: Option<&str>,
    flash: Option<Flash>,
    status: StatusCode,
) -> Response {
    let next = safe_next(next);
    let body = html! {
        h1 { "Operator login" }
        @if !viewer.actions_enabled {
            p.notice { "Actions are disabled: this control room was started without RAKUTEN_ADMIN_TOKEN." }
        }
        form.card method="post" action="/login" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="next" value=(next);
            p { label for="operator" { "Your name (recorded in the audit log)" } br;
                input #operator type="text" name="operator" required maxlength="64" autocomplete="username"; }
            p { label for="token" { "Admin token" } br;
                input #token type="password" name="token" required autocomplete="current-password"; }
            button type="submit" { "Log in" }
        }
    };
    let mut r = layout::page(viewer, "Login", "", flash, body).into_response();
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    operator: Option<String>,
    token: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(r) = check_csrf(&viewer, &headers, form.csrf.as_deref()) {
        return *r;
    }
    let Some(expected) = app.auth.token_digest else {
        return login_form(
            &viewer,
            form.next.as_deref(),
            Some(Flash::error(
                "Login is disabled: no RAKUTEN_ADMIN_TOKEN is configured.",
            )),
            StatusCode::FORBIDDEN,
        );
    };
    if app.auth.throttled(peer.ip()) {
        return login_form(
            &viewer,
            form.next.as_deref(),
            Some(Flash::error(
                "Too many failed logins from this address: wait a minute.",
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let operator = form
        .operator
        .as_deref()
        .map(str::trim)
        .filter(|o| {
            !o.is_empty()
                && o.len() <= 64
                && o.chars()
                    .all(|c| c.is_alphanumeric() || " ._@-".contains(c))
        })
        .map(str::to_string);
    let token_ok = form
        .token
        .as_deref()
        .is_some_and(|t| same(&digest(t), &expected));
    let Some(operator) = operator.filter(|_| token_ok) else {
        app.auth.record_failure(peer.ip());
        tracing::warn!(peer = %peer.ip(), "control room: failed login");
        return login_form(
            &viewer,
            form.next.as_deref(),
            Some(Flash::error(
                "Login refused: a name (letters, digits, space . _ @ -) and the admin token are required.",
            )),
            StatusCode::UNAUTHORIZED,
        );
    };
    let id = random_token();
    app.auth.sessions.lock().unwrap().insert(
        id.clone(),
        Session {
            operator: operator.clone(),
            expires: Instant::now() + SESSION_TTL,
        },
    );
    tracing::info!(%operator, "control room: operator logged in");
    let mut r = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&app, SESSION_COOKIE, &id, Some(SESSION_TTL.as_secs())),
    );
    r
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

pub async fn logout(
    State(app): State<Arc<App>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = check_csrf(&viewer, &headers, form.csrf.as_deref()) {
        return *r;
    }
    if let Some(s) = cookie(&headers, SESSION_COOKIE) {
        app.auth.sessions.lock().unwrap().remove(s);
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&app, SESSION_COOKIE, "", Some(0)),
    );
    r
}
