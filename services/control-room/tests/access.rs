//! Access rules of the control room, through its real router on a real SQLite store: the CSRF cookie and the
//! security headers, the login (wrong token, rate limit per address, session cookie), actions refused without a
//! session, without the CSRF token or when no admin token is configured, and no open redirect after login.
//! (The browser test in `services/rakuten/tests/control_room.rs` drives the same rules through Chromium.)

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use control_room::{App, ControlRoomConfig};
use tower::ServiceExt;

const TOKEN: &str = "s3cret-admin-token";

struct Room {
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

async fn room(token: Option<&str>) -> Room {
    let dir = tempfile::tempdir().unwrap();
    let store = data::Store::connect(&format!("sqlite://{}/rakuten.db", dir.path().display()))
        .await
        .unwrap();
    let artifacts =
        data::ArtifactStore::open(dir.path().join("artifacts").to_str().unwrap()).unwrap();
    // Temporal is never reached by these requests: nothing listens on port 9.
    let mut config = ControlRoomConfig::new("127.0.0.1:9", "default");
    config.admin_token = token.map(str::to_string);
    config.login_attempts_per_minute = 3;
    Room {
        app: App::new(config, store, artifacts),
        _dir: dir,
    }
}

fn from(ip: [u8; 4], req: Request<Body>) -> Request<Body> {
    let mut req = req;
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    req
}

async fn send(room: &Room, req: Request<Body>) -> axum::response::Response {
    control_room::router(room.app.clone())
        .oneshot(req)
        .await
        .unwrap()
}

fn set_cookie(r: &axum::response::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn value(cookie: &str) -> String {
    cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

/// The visitor's CSRF token, from a first GET.
async fn csrf(room: &Room) -> String {
    let r = send(
        room,
        from(
            [127, 0, 0, 1],
            Request::get("/login").body(Body::empty()).unwrap(),
        ),
    )
    .await;
    value(&set_cookie(&r, "rk_csrf").expect("a CSRF cookie"))
}

fn post(path: &str, cookies: &str, form: &str, ip: [u8; 4]) -> Request<Body> {
    from(
        ip,
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies)
            .body(Body::from(form.to_string()))
            .unwrap(),
    )
}

async fn text(r: axum::response::Response) -> String {
    String::from_utf8(
        axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_first_visit_gets_a_strict_csrf_cookie_and_the_security_headers() {
    let room = room(Some(TOKEN)).await;
    let r = send(
        &room,
        from(
            [127, 0, 0, 1],
            Request::get("/dataset").body(Body::empty()).unwrap(),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = set_cookie(&r, "rk_csrf").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(value(&cookie).len(), 64);
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        r.headers()["server-timing"]
            .to_str()
            .unwrap()
            .starts_with("app;dur=")
    );
    // A returning visitor keeps the token it has.
    let again = send(
        &room,
        from(
            [127, 0, 0, 1],
            Request::get("/")
                .header(header::COOKIE, format!("rk_csrf={}", value(&cookie)))
                .body(Body::empty())
                .unwrap(),
        ),
    )
    .await;
    assert!(set_cookie(&again, "rk_csrf").is_none());
}

#[tokio::test]
async fn failed_logins_are_limited_per_address_and_a_good_one_opens_a_strict_session() {
    let room = room(Some(TOKEN)).await;
    let token = csrf(&room).await;
    let cookies = format!("rk_csrf={token}");
    let wrong = format!("csrf={token}&operator=ana&token=nope&next=%2Ftraining");
    for _ in 0..3 {
        let r = send(&room, post("/login", &cookies, &wrong, [10, 0, 0, 1])).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&r, "rk_session").is_none());
    }
    // The limit reached: even the right token is refused from that address for a minute...
    let right = format!("csrf={token}&operator=ana&token={TOKEN}&next=%2Ftraining");
    let r = send(&room, post("/login", &cookies, &right, [10, 0, 0, 1])).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(text(r).await.contains("Too many failed logins"));
    // ... but not from another one.
    let r = send(&room, post("/login", &cookies, &right, [10, 0, 0, 2])).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], "/training");
    let session = set_cookie(&r, "rk_session").unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    // The session names the operator on every page.
    let page = send(
        &room,
        from(
            [10, 0, 0, 2],
            Request::get("/")
                .header(
                    header::COOKIE,
                    format!("{cookies}; rk_session={}", value(&session)),
                )
                .body(Body::empty())
                .unwrap(),
        ),
    )
    .await;
    assert!(text(page).await.contains("Operator: <strong>ana</strong>"));
}

#[tokio::test]
async fn a_login_never_redirects_off_the_site_and_needs_its_csrf_token() {
    let room = room(Some(TOKEN)).await;
    let token = csrf(&room).await;
    let cookies = format!("rk_csrf={token}");
    for next in [
        "%2F%2Fevil.example%2Fx",
        "https%3A%2F%2Fevil.example",
        "%2F%5Cevil.example",
    ] {
        let form = format!("csrf={token}&operator=ana&token={TOKEN}&next={next}");
        let r = send(&room, post("/login", &cookies, &form, [10, 0, 0, 3])).await;
        assert_eq!(r.headers()[header::LOCATION], "/", "next={next}");
    }
    let r = send(
        &room,
        post(
            "/login",
            &cookies,
            &format!("operator=ana&token={TOKEN}"),
            [10, 0, 0, 4],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&r, "rk_session").is_none());
}

#[tokio::test]
async fn actions_need_a_session_and_the_csrf_token() {
    let room = room(Some(TOKEN)).await;
    let token = csrf(&room).await;
    let cookies = format!("rk_csrf={token}");
    // No session.
    let r = send(
        &room,
        post(
            "/actions/rollback",
            &cookies,
            &format!("csrf={token}"),
            [10, 0, 0, 5],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A session, without the CSRF field, with another token, with no cookie to match.
    let login = format!("csrf={token}&operator=ana&token={TOKEN}");
    let session = value(
        &set_cookie(
            &send(&room, post("/login", &cookies, &login, [10, 0, 0, 5])).await,
            "rk_session",
        )
        .unwrap(),
    );
    let both = format!("{cookies}; rk_session={session}");
    for (cookie, form) in [
        (both.as_str(), "reason=x".to_string()),
        (both.as_str(), format!("csrf={}", "0".repeat(64))),
        (&*format!("rk_session={session}"), format!("csrf={token}")),
    ] {
        let r = send(
            &room,
            post("/actions/rollback", cookie, &form, [10, 0, 0, 5]),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{cookie} {form}");
        assert!(text(r).await.contains("CSRF"));
    }
    // With both, the action runs: here the registry refuses it (nothing to roll back to), and says so.
    let r = send(
        &room,
        post(
            "/actions/rollback",
            &both,
            &format!("csrf={token}"),
            [10, 0, 0, 5],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text(r).await.contains("flash error"));
    // Parameters are checked before anything runs.
    let r = send(
        &room,
        post(
            "/actions/promote",
            &both,
            &format!("csrf={token}&version=-3"),
            [10, 0, 0, 5],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = send(
        &room,
        post(
            "/actions/format-disk",
            &both,
            &format!("csrf={token}"),
            [10, 0, 0, 5],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_an_admin_token_the_control_room_is_read_only() {
    let room = room(None).await;
    let token = csrf(&room).await;
    let cookies = format!("rk_csrf={token}");
    let r = send(
        &room,
        post(
            "/login",
            &cookies,
            &format!("csrf={token}&operator=ana&token="),
            [10, 0, 0, 6],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(
        &room,
        post(
            "/actions/train",
            &cookies,
            &format!("csrf={token}"),
            [10, 0, 0, 6],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(r).await.contains("RAKUTEN_ADMIN_TOKEN"));
    // Reading still works, and says nothing is loaded yet.
    let r = send(
        &room,
        from(
            [10, 0, 0, 6],
            Request::get("/dataset").body(Body::empty()).unwrap(),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(text(r).await.contains("Nothing imported yet"));
}
