//! Shadow models on a real server: the version the alias `shadow` names is loaded beside Production, scores
//! what Production answers off the request path, and its agreement is counted exactly (checked against the
//! shadow version's own answers once it is promoted); a full shadow queue drops, counted, and answers never
//! come from the shadow.

#[path = "../../../activities/data/tests/common/mod.rs"]
mod common;
#[path = "support/serving.rs"]
mod serving;

use inference::ServeConfig;
use inference::shadow::ShadowConfig;
use registry::Registry;
use serde_json::{Value, json};
use serving::{Server, promote, register, sample_value, trained_models, wait_until};

const MODEL: &str = contracts::MODEL_NAME;

fn config(shadow: ShadowConfig) -> ServeConfig {
    ServeConfig {
        shadow,
        poll: std::time::Duration::from_millis(50),
        ..ServeConfig::default()
    }
}

async fn current(server: &Server) -> Value {
    server.get_json("/models/current").await
}

/// Classes the served model gives the products, in order (one batch), and the version that gave them.
async fn classes(server: &Server, products: &[(String, String)]) -> (Vec<i64>, Vec<String>) {
    let items: Vec<Value> = products
        .iter()
        .map(|(d, s)| json!({"designation": d, "description": s}))
        .collect();
    let answer = server
        .post_ok("/predict/batch", &json!({ "items": items }))
        .await;
    let predictions = answer["predictions"].as_array().unwrap();
    (
        predictions
            .iter()
            .map(|p| p["predicted_class"].as_i64().unwrap())
            .collect(),
        predictions
            .iter()
            .map(|p| p["model_version"].as_str().unwrap().to_string())
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shadow_scores_beside_production_and_its_agreement_is_exact() {
    let db = common::TestDb::sqlite().await;
    let (m1, m2) = trained_models();
    let v1 = register(&db, m1).await;
    let v2 = register(&db, m2).await;
    promote(&db, v1).await;
    let v2_label = v2.to_string();
    let registry = Registry::new(db.store.clone(), db.artifacts());
    let server = Server::start(
        &db,
        config(ShadowConfig {
            fraction: 1.0,
            queue: 4_096,
        }),
    )
    .await;
    server.wait_status("healthy").await;
    assert!(current(&server).await["shadow"].is_null());

    registry
        .set_alias(MODEL, inference::shadow::ALIAS, v2, "test")
        .await
        .unwrap();
    wait_until("the shadow loaded", || async {
        current(&server).await["shadow"]["version"] == v2_label
    })
    .await;

    // 300 real products, answered by Production (v1) only; each scored by the shadow (v2) too.
    let products = serving::sample_rows(300);
    let (production, versions) = classes(&server, &products).await;
    assert!(
        versions.iter().all(|v| *v == v1.to_string()),
        "answers come from Production"
    );
    wait_until("the shadow to score all 300", || async {
        current(&server).await["shadow"]["scored"] == 300
    })
    .await;
    let stats = current(&server).await["shadow"].clone();
    let agreed = stats["agreed"].as_u64().unwrap();
    assert_eq!(stats["dropped"], 0);
    assert!(stats["mean_latency_ms"].as_f64().unwrap() > 0.0);
    let by_class = stats["by_class"].as_object().unwrap();
    let class_scored: u64 = by_class
        .values()
        .map(|c| c["scored"].as_u64().unwrap())
        .sum();
    let class_disagreed: u64 = by_class
        .values()
        .map(|c| c["disagreed"].as_u64().unwrap())
        .sum();
    assert_eq!((class_scored, class_disagreed), (300, 300 - agreed));
    let metrics = server.text("/metrics").await;
    let agree = format!(r#"rakuten_shadow_predictions_total{{outcome="agree",version="{v2}"}}"#);
    assert_eq!(
        sample_value(&metrics, "rakuten_shadow_predictions_total"),
        300.0
    );
    assert!(
        metrics.contains(&format!("{agree} {agreed}")),
        "{agree} {agreed} in\n{metrics}"
    );
    assert_eq!(
        sample_value(&metrics, "rakuten_shadow_disagreements_total"),
        (300 - agreed) as f64
    );

    // The exact figure: v2's own answers, once it serves.
    promote(&db, v2).await;
    wait_until("v2 served", || async {
        current(&server).await["version"] == v2_label
    })
    .await;
    let (shadow_answers, _) = classes(&server, &products).await;
    let expected = production
        .iter()
        .zip(&shadow_answers)
        .filter(|(p, s)| p == s)
        .count() as u64;
    assert_eq!(
        agreed, expected,
        "the shadow's agreement is what v2 answers"
    );
    assert!(expected < 300, "two different models disagree somewhere");
    // The served version is no shadow of itself.
    wait_until("no shadow of the served version", || async {
        current(&server).await["shadow"].is_null()
    })
    .await;
    server.shutdown().await;

    // A full queue drops and counts, and never holds an answer back.
    promote(&db, v1).await;
    let server = Server::start(
        &db,
        config(ShadowConfig {
            fraction: 1.0,
            queue: 1,
        }),
    )
    .await;
    server.wait_status("healthy").await;
    wait_until("the shadow loaded", || async {
        current(&server).await["shadow"]["version"] == v2_label
    })
    .await;
    let (answers, _) = classes(&server, &products).await;
    assert_eq!(answers, production);
    wait_until("every product scored or dropped", || async {
        let s = current(&server).await["shadow"].clone();
        s["scored"].as_u64().unwrap() + s["dropped"].as_u64().unwrap() == 300
    })
    .await;
    let dropped = current(&server).await["shadow"]["dropped"]
        .as_u64()
        .unwrap();
    assert!(dropped > 0, "a queue of one drops a batch of 300");
    let metrics = server.text("/metrics").await;
    assert_eq!(
        sample_value(&metrics, "rakuten_shadow_dropped_total"),
        dropped as f64
    );

    // Removing the alias stops the shadow.
    assert!(
        registry
            .remove_alias(MODEL, inference::shadow::ALIAS, "test")
            .await
            .unwrap()
    );
    wait_until("the shadow stopped", || async {
        current(&server).await["shadow"].is_null()
    })
    .await;
    server.shutdown().await;
    db.cleanup().await;
}
