//! The artifact store: a local folder by default, any S3-compatible store by URL, through `object_store`.
//! Every write returns the sha256 of what was written, and reads can verify it.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

/// Default for every command's `--artifacts`.
pub const DEFAULT_ARTIFACTS: &str = ".rakuten/artifacts";

#[derive(Clone, Debug)]
pub struct ArtifactStore {
    inner: Arc<dyn ObjectStore>,
    url: String,
}

impl ArtifactStore {
    /// Opens `spec`: a folder path (created if missing), `file:///abs/path`, `memory://`, or `s3://bucket/prefix`
    /// (configured by the usual `AWS_*` variables, e.g. `AWS_ENDPOINT=http://127.0.0.1:8333` for SeaweedFS).
    pub fn open(spec: &str) -> Result<ArtifactStore> {
        let config = |message: String| DataError::ArtifactConfig {
            url: spec.to_string(),
            message,
        };
        if spec.starts_with("s3://") {
            return ArtifactStore::open_s3(spec, object_store::aws::AmazonS3Builder::from_env());
        }
        if spec == "memory://" {
            return Ok(ArtifactStore {
                inner: Arc::new(object_store::memory::InMemory::new()),
                url: spec.into(),
            });
        }
        if spec.contains("://") && !spec.starts_with("file://") {
            return Err(config(
                "unsupported scheme: use a folder path, file://, s3:// or memory://".into(),
            ));
        }
        let path = spec.strip_prefix("file://").unwrap_or(spec);
        std::fs::create_dir_all(path).map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
        let abs = std::fs::canonicalize(path).map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(&abs)
            .map_err(|e| config(e.to_string()))?;
        Ok(ArtifactStore {
            inner: Arc::new(fs),
            url: format!("file://{}", abs.display()),
        })
    }

    /// Opens `s3://bucket/prefix` with explicit settings (endpoint, credentials) instead of the environment.
    pub fn open_s3(
        spec: &str,
        builder: object_store::aws::AmazonS3Builder,
    ) -> Result<ArtifactStore> {
        let config = |message: String| DataError::ArtifactConfig {
            url: spec.to_string(),
            message,
        };
        let rest = spec
            .strip_prefix("s3://")
            .ok_or_else(|| config("expected s3://bucket/prefix".into()))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let s3 = builder
            .with_bucket_name(bucket)
            .with_allow_http(true)
            .build()
            .map_err(|e| config(e.to_string()))?;
        let inner: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(
                s3,
                prefix.trim_matches('/'),
            ))
        };
        Ok(ArtifactStore {
            inner,
            url: spec.trim_end_matches('/').to_string(),
        })
    }

    /// The store's base URL (`file:///…`, `s3://…`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), key)
    }

    /// Writes `bytes` at `key` (overwriting) and returns their sha256 in hex.
    pub async fn put(&self, key: &str, bytes: impl Into<Bytes>) -> Result<String> {
        let bytes: Bytes = bytes.into();
        let sha = sha256_hex(&bytes);
        self.inner
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await?;
        Ok(sha)
    }

    pub async fn get(&self, key: &str) -> Result<Bytes> {
        Ok(self
            .inner
            .get(&ObjectPath::from(key))
            .await?
            .bytes()
            .await?)
    }

    /// Reads `key` and checks its sha256: a corrupt or swapped artifact is an error, never used.
    pub async fn get_verified(&self, key: &str, sha256: &str) -> Result<Bytes> {
        let bytes = self.get(key).await?;
        let found = sha256_hex(&bytes);
        if found != sha256 {
            return Err(DataError::ArtifactCorrupt {
                key: key.into(),
                expected: sha256.into(),
                found,
            });
        }
        Ok(bytes)
    }

    pub async fn exists(&self, key: &str) -> Result<bool> {
        match self.inner.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes `key`; a key that is not there is no error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The keys under `prefix` (a folder: `a/b` lists `a/b/…`), in no particular order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        use futures::TryStreamExt;
        let metas: Vec<_> = self
            .inner
            .list(Some(&ObjectPath::from(prefix)))
            .try_collect()
            .await?;
        Ok(metas.into_iter().map(|m| m.location.to_string()).collect())
    }

    /// The underlying store, for crates that stream large artifacts themselves.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        self.inner.clone()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_verify_on_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::open(dir.path().join("a").to_str().unwrap()).unwrap();
        let sha = store.put("x/y.bin", b"hello".to_vec()).await.unwrap();
        assert_eq!(sha, sha256_hex(b"hello"));
        assert_eq!(
            &store.get_verified("x/y.bin", &sha).await.unwrap()[..],
            b"hello"
        );
        assert!(store.exists("x/y.bin").await.unwrap());
        assert!(!store.exists("x/z.bin").await.unwrap());
        std::fs::write(dir.path().join("a/x/y.bin"), b"hellO").unwrap();
        let err = store.get_verified("x/y.bin", &sha).await.unwrap_err();
        assert!(matches!(err, DataError::ArtifactCorrupt { .. }), "{err}");
    }

    #[test]
    fn unknown_scheme_is_refused() {
        assert!(ArtifactStore::open("ftp://x/y").is_err());
    }
}
