//! The artifact store on a real S3-compatible server (SeaweedFS, `weed mini`, started by `.ci/run` or by
//! hand: see deploy/seaweedfs/README.md). `RAKUTEN_TEST_S3_ENDPOINT` (default http://127.0.0.1:8333),
//! bucket `rakuten`, the credentials of deploy/seaweedfs/s3.json.

#[path = "../../data/tests/common/mod.rs"]
mod common;

use data::ArtifactStore;
use data::dataset::read_split;
use data::{DataError, DatasetOptions, LoadRequest, SourceFiles, Strategy};
use object_store::aws::AmazonS3Builder;
use registry::{Policy, RegisterRequest, Registry, RegistryError, Stage};

fn s3_store(prefix: &str) -> ArtifactStore {
    let endpoint = std::env::var("RAKUTEN_TEST_S3_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:8333".into());
    let builder = AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_region("us-east-1")
        .with_access_key_id("rakuten")
        .with_secret_access_key("rakuten-local-only");
    ArtifactStore::open_s3(&format!("s3://rakuten/{prefix}"), builder).unwrap()
}

/// The same bucket behind a port nothing listens on, without retries.
fn dead_s3_store(prefix: &str) -> ArtifactStore {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let builder = AmazonS3Builder::new()
        .with_endpoint(format!("http://127.0.0.1:{port}"))
        .with_region("us-east-1")
        .with_access_key_id("rakuten")
        .with_secret_access_key("rakuten-local-only")
        .with_retry(object_store::RetryConfig {
            max_retries: 0,
            retry_timeout: std::time::Duration::from_secs(2),
            ..Default::default()
        });
    ArtifactStore::open_s3(&format!("s3://rakuten/{prefix}"), builder).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_and_datasets_on_s3() {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let artifacts = s3_store(&prefix);
    // Fail loudly, with the fix, when the server is not there.
    artifacts.put("probe", b"ok".to_vec()).await.unwrap_or_else(|e| {
        panic!("S3 at RAKUTEN_TEST_S3_ENDPOINT is not reachable ({e}); start it: see deploy/seaweedfs/README.md")
    });

    let db = common::TestDb::sqlite().await;
    let r = Registry::new(db.store.clone(), artifacts.clone());
    let dir = db.dir.path().join("model");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.safetensors"), vec![7u8; 100_000]).unwrap();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    let req = RegisterRequest {
        metrics: serde_json::json!({ "f1_weighted": 0.9 }),
        actor: "test".into(),
        ..Default::default()
    };
    let (v, created) = r.register("rakuten_classifier", &dir, &req).await.unwrap();
    assert!(created);
    assert!(
        v.artifact_uri
            .starts_with(&format!("s3://rakuten/{prefix}/models/"))
    );
    assert!(
        !r.register("rakuten_classifier", &dir, &req)
            .await
            .unwrap()
            .1,
        "idempotent on S3 too"
    );
    // The store unreachable while the policy runs (a real connection refused, no retries): an error that is
    // not bad input, and no decision recorded; once the store answers, the policy decides and promotes.
    let unreachable = Registry::new(db.store.clone(), dead_s3_store(&prefix));
    let err = unreachable
        .apply_policy("rakuten_classifier", 1, &Policy::default(), "test")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::ArtifactUnavailable { .. }) && !err.is_bad_input(),
        "{err}"
    );
    assert!(
        r.last_decision("rakuten_classifier", 1)
            .await
            .unwrap()
            .is_none(),
        "nothing decided on a store that did not answer"
    );
    assert!(
        r.apply_policy("rakuten_classifier", 1, &Policy::default(), "test")
            .await
            .unwrap()
            .promote
    );

    let out = db.dir.path().join("downloaded");
    r.download(&v, &out).await.unwrap();
    assert_eq!(
        std::fs::read(out.join("model.safetensors")).unwrap(),
        vec![7u8; 100_000]
    );

    // Tamper with the object in the bucket: verification refuses it.
    artifacts
        .put(
            &format!("{}/model.safetensors", v.artifact_key),
            b"tampered".to_vec(),
        )
        .await
        .unwrap();
    let err = r
        .transition("rakuten_classifier", 1, Stage::Production, "t", "t")
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::BadArtifact { .. }), "{err}");

    // A dataset version written to and read back from S3, sha256-checked.
    db.store
        .import(
            &SourceFiles::Merged(common::sample_csv()),
            &Default::default(),
        )
        .await
        .unwrap();
    db.store
        .load(&LoadRequest::Initial { percent: 40.0 }, "initial", "test")
        .await
        .unwrap();
    let o = DatasetOptions {
        strategy: Strategy::None,
        ..Default::default()
    };
    let ds = db.store.build_dataset(&artifacts, &o).await.unwrap();
    assert!(ds.uri.starts_with("s3://rakuten/"));
    let train = read_split(&artifacts, &ds.manifest, "train").await.unwrap();
    assert_eq!(train.len(), ds.manifest.files["train"].rows);
    artifacts
        .put(&ds.manifest.files["train"].key, b"x".to_vec())
        .await
        .unwrap();
    assert!(matches!(
        read_split(&artifacts, &ds.manifest, "train").await,
        Err(DataError::ArtifactCorrupt { .. })
    ));
    db.cleanup().await;
}
