//! The prediction history pages by key through the real router on both real stores (SQLite and PostgreSQL):
//! following "Older" links walks every logged prediction once, newest first, including predictions logged at
//! the same instant (the tie is broken by prediction id), and filters hold on every page.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use chrono::{Duration, TimeZone, Utc};
use control_room::{App, ControlRoomConfig};
use data::inference::InferenceRecord;
use tower::ServiceExt;

/// The prediction ids of a history page, in order, and its "Older" link.
async fn page(app: &std::sync::Arc<App>, uri: &str) -> (Vec<String>, Option<String>) {
    let uri = uri.split('#').next().unwrap();
    let mut req = Request::get(uri).body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 1))));
    let r = control_room::router(app.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert!(r.status().is_success(), "{uri}: {}", r.status());
    let html = String::from_utf8(
        axum::body::to_bytes(r.into_body(), 1 << 22)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    let ids = html
        .match_indices("title-")
        .map(|(i, _)| html[i..].split(['<', ' ']).next().unwrap().to_string())
        .collect();
    let older = html.find(">Older<").map(|end| {
        let start = html[..end].rfind("href=\"").unwrap() + 6;
        let href = html[start..end - 1].replace("&amp;", "&");
        href.split('#').next().unwrap().to_string()
    });
    (ids, older)
}

async fn walk(app: &std::sync::Arc<App>, first: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(uri) = next {
        let (ids, older) = page(app, &uri).await;
        assert!(ids.len() <= 50, "{uri}: {} rows", ids.len());
        all.extend(ids);
        next = older;
    }
    all
}

on_both_backends!(
    history_pages_walk_every_prediction_once_newest_first,
    async |db: &common::TestDb| {
        // 130 predictions over 100 instants: 31 share the 71st instant, and the first page ends among them.
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let rows: Vec<InferenceRecord> = (0..130)
            .map(|i| {
                let at = t0
                    + Duration::milliseconds(i64::from(if i < 100 { i } else { 70 }) * 1500 + 250);
                InferenceRecord::new(
                    format!("p{i:03}"),
                    at,
                    ("rakuten_classifier", if i % 2 == 0 { "1" } else { "2" }),
                    // The designation carries the id, so that the page's rows can be read back.
                    &format!("title-p{i:03}"),
                    "",
                    None,
                    if i % 3 == 0 { 2583 } else { 40 },
                    0.5,
                    1.0,
                )
            })
            .collect();
        assert_eq!(db.store.append_inference_log(&rows).await.unwrap(), 130);
        let app = App::new(
            ControlRoomConfig::new("127.0.0.1:9", "default"),
            db.store.clone(),
            db.artifacts(),
        );

        let mut expected: Vec<&InferenceRecord> = rows.iter().collect();
        expected.sort_by(|a, b| (b.at, &b.prediction_id).cmp(&(a.at, &a.prediction_id)));
        let ids = |rs: Vec<&InferenceRecord>| {
            rs.iter()
                .map(|r| format!("title-{}", r.prediction_id))
                .collect::<Vec<_>>()
        };

        assert_eq!(walk(&app, "/predictions").await, ids(expected.clone()));
        let class: Vec<_> = expected
            .iter()
            .copied()
            .filter(|r| r.predicted_class == 2583)
            .collect();
        assert_eq!(walk(&app, "/predictions?class=2583").await, ids(class));
        let v2: Vec<_> = expected
            .iter()
            .copied()
            .filter(|r| r.model_version == "2")
            .collect();
        assert_eq!(walk(&app, "/predictions?version=2").await, ids(v2));
        // Days: the whole log is on 2026-11-30.
        assert_eq!(
            walk(&app, "/predictions?since=2026-12-01").await,
            Vec::<String>::new()
        );
        assert_eq!(
            walk(&app, "/predictions?since=2026-11-30&until=2026-11-30")
                .await
                .len(),
            130
        );
    }
);
