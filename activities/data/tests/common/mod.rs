//! Test databases: a fresh SQLite file, or a fresh schema on the PostgreSQL at 127.0.0.1:5432
//! (`RAKUTEN_TEST_PG_URL` overrides it). The real sample data is read from `../shared`.
#![allow(dead_code)]

use std::path::PathBuf;

use data::Store;

pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub dir: tempfile::TempDir,
    schema: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::connect(&url).await.expect("sqlite store");
        TestDb {
            store,
            url,
            dir,
            schema: None,
        }
    }

    pub async fn postgres() -> TestDb {
        let base = pg_url();
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = Store::connect_unmigrated(&base).await.expect(
            "PostgreSQL at 127.0.0.1:5432 (start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)",
        );
        admin
            .execute_raw(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url).await.expect("postgres store");
        TestDb {
            store,
            url,
            dir: tempfile::tempdir().unwrap(),
            schema: Some(schema),
        }
    }

    /// A store the caller made (a database of its own), with a fresh folder for artifacts.
    pub fn from_parts(store: Store, url: String) -> TestDb {
        TestDb {
            store,
            url,
            dir: tempfile::tempdir().unwrap(),
            schema: None,
        }
    }

    /// Imports the real sample as the source pool (default options: 15 % holdout).
    pub async fn import_sample(&self) {
        self.store
            .import(
                &data::SourceFiles::Merged(sample_csv()),
                &Default::default(),
            )
            .await
            .unwrap();
    }

    pub fn artifacts(&self) -> data::ArtifactStore {
        data::ArtifactStore::open(self.dir.path().join("artifacts").to_str().unwrap()).unwrap()
    }

    /// Drops the PostgreSQL schema (a test that fails before this leaves it behind, for inspection).
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(schema) = self.schema {
            let admin = Store::connect_unmigrated(&pg_url()).await.unwrap();
            admin
                .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

pub fn pg_url() -> String {
    std::env::var("RAKUTEN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn shared_dir() -> PathBuf {
    match std::env::var_os("RAKUTEN_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

pub fn sample_csv() -> PathBuf {
    let p = shared_dir().join("data/rakuten_sample.csv");
    assert!(p.exists(), "the real sample is expected at {}", p.display());
    p
}

/// Runs one async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = common::TestDb::sqlite().await;
                ($body)(&db).await;
                db.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = common::TestDb::postgres().await;
                ($body)(&db).await;
                db.cleanup().await;
            }
        }
    };
}
