//! The page shell (navigation, login state, messages), error pages, the stylesheet, and small formatting helpers.

use axum::Extension;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

const STYLE: &str = include_str!("../assets/style.css");

/// The visitor of this request: their CSRF token and, when logged in, the operator's name.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub csrf: String,
    pub operator: Option<String>,
    /// The admin token is configured: actions are possible at all.
    pub actions_enabled: bool,
}

/// A message shown above a page's content.
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Flash {
    pub fn error(text: impl Into<String>) -> Flash {
        Flash {
            ok: false,
            text: text.into(),
        }
    }
    pub fn ok(text: impl Into<String>) -> Flash {
        Flash {
            ok: true,
            text: text.into(),
        }
    }
}

const NAV: [(&str, &str); 6] = [
    ("/", "Home"),
    ("/infrastructure", "Infrastructure"),
    ("/dataset", "Dataset"),
    ("/training", "Training"),
    ("/predictions", "Predictions"),
    ("/monitoring", "Monitoring"),
];

/// A whole page: `active` is the path of its navigation entry.
pub fn page(
    viewer: &Viewer,
    title: &str,
    active: &str,
    flash: Option<Flash>,
    body: Markup,
) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Rakuten control room" }
                link rel="stylesheet" href="/static/style.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "Rakuten MLOps · control room" }
                    nav aria-label="Main" {
                        ul {
                            @for (href, label) in NAV {
                                li { a href=(href) aria-current=[(href == active).then_some("page")] { (label) } }
                            }
                        }
                    }
                    div.who {
                        @if let Some(op) = &viewer.operator {
                            span { "Operator: " strong { (op) } }
                            form.inline method="post" action="/logout" {
                                (csrf_field(viewer))
                                button type="submit" { "Log out" }
                            }
                        } @else {
                            a href="/login" { "Operator login" }
                        }
                    }
                }
                main #main {
                    @if let Some(f) = flash {
                        p class=(if f.ok { "flash ok" } else { "flash error" }) role="status" { (f.text) }
                    }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// A page that only says what went wrong, with `status`.
pub fn error_page(viewer: &Viewer, status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = html! {
        h1 { (title) }
        p.error-text { (message) }
        p { a href="/" { "Back to the home page" } }
    };
    (status, page(viewer, title, "", None, body)).into_response()
}

pub async fn not_found(Extension(viewer): Extension<Viewer>) -> Response {
    error_page(&viewer, StatusCode::NOT_FOUND, "No such page.")
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

pub fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub fn f4(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.4}"))
}

pub fn pct(v: f64) -> String {
    format!("{v:.1} %")
}

/// The first 12 characters of a hash or id.
pub fn short(s: &str) -> &str {
    s.get(..12).unwrap_or(s)
}

/// A card of key figures.
pub fn figures(items: &[(&str, String)]) -> Markup {
    html! {
        dl.figures {
            @for (k, v) in items {
                div { dt { (k) } dd { (v) } }
            }
        }
    }
}

/// Why a section is empty or unavailable.
pub fn unavailable(what: &str, why: &str) -> Markup {
    html! { p.notice { (what) ": " (why) } }
}
