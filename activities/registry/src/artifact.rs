//! Model artifacts in the artifact store: a folder uploaded under a content-addressed key, with a manifest
//! listing every file's sha256. The manifest's own sha256 identifies the artifact (registration is idempotent
//! by it) and every download is verified against it.

use std::collections::BTreeMap;
use std::path::Path;

use data::ArtifactStore;
use data::artifacts::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::error::{RegistryError, Result};

pub const MANIFEST_FILE: &str = "manifest.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactManifest {
    /// File name → sha256.
    pub files: BTreeMap<String, String>,
}

impl ArtifactManifest {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a map of strings serialises")
    }

    pub fn sha256(&self) -> String {
        sha256_hex(&self.to_bytes())
    }
}

/// A file's name and bytes.
pub type NamedFile = (String, Vec<u8>);

/// Reads a model folder (its regular files, not sub-folders) into memory with its manifest.
pub fn read_dir(dir: &Path) -> Result<(ArtifactManifest, Vec<NamedFile>)> {
    let io = |source| RegistryError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if !entry.file_type().map_err(io)?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MANIFEST_FILE || name.starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|source| RegistryError::Io {
            path: entry.path(),
            source,
        })?;
        files.push((name, bytes));
    }
    if files.is_empty() {
        return Err(RegistryError::InvalidArgument(format!(
            "{} holds no files",
            dir.display()
        )));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let manifest = ArtifactManifest {
        files: files
            .iter()
            .map(|(n, b)| (n.clone(), sha256_hex(b)))
            .collect(),
    };
    Ok((manifest, files))
}

/// The key prefix of an artifact: content-addressed, so the same files land at the same place.
pub fn key_for(model_name: &str, manifest_sha256: &str) -> String {
    format!("models/{model_name}/{}", &manifest_sha256[..16])
}

pub async fn upload(
    store: &ArtifactStore,
    prefix: &str,
    manifest: &ArtifactManifest,
    files: &[(String, Vec<u8>)],
) -> Result<()> {
    for (name, bytes) in files {
        store
            .put(&format!("{prefix}/{name}"), bytes.clone())
            .await?;
    }
    // The manifest last: its presence means the upload is complete.
    store
        .put(&format!("{prefix}/{MANIFEST_FILE}"), manifest.to_bytes())
        .await?;
    Ok(())
}

/// Uploads a model folder content-addressed under `models/<name>/…` without registering it (a trained model
/// waiting for evaluation); returns its key and manifest sha256. Registering the same folder later finds it.
pub async fn stage(
    store: &ArtifactStore,
    model_name: &str,
    dir: &Path,
) -> Result<(String, String)> {
    let (manifest, files) = read_dir(dir)?;
    let sha = manifest.sha256();
    let key = key_for(model_name, &sha);
    upload(store, &key, &manifest, &files).await?;
    Ok((key, sha))
}

/// Checks that the artifact at `prefix` is complete and intact; returns its manifest, or what is wrong.
pub async fn verify(
    store: &ArtifactStore,
    prefix: &str,
    manifest_sha256: &str,
) -> Result<ArtifactManifest, ArtifactProblem> {
    let raw = store
        .get(&format!("{prefix}/{MANIFEST_FILE}"))
        .await
        .map_err(|e| {
            ArtifactProblem::from_store(
                format!("manifest unreadable at {}", store.url_of(prefix)),
                &e,
            )
        })?;
    let found = sha256_hex(&raw);
    if found != manifest_sha256 {
        return Err(ArtifactProblem::bad(format!(
            "manifest sha256 is {found}, expected {manifest_sha256}"
        )));
    }
    let manifest: ArtifactManifest = serde_json::from_slice(&raw)
        .map_err(|e| ArtifactProblem::bad(format!("manifest is not valid: {e}")))?;
    for (name, sha) in &manifest.files {
        store
            .get_verified(&format!("{prefix}/{name}"), sha)
            .await
            .map_err(|e| ArtifactProblem::from_store(format!("file {name}"), &e))?;
    }
    Ok(manifest)
}

/// Why an artifact cannot be used: it is missing or corrupt (a judgement on the artifact), or the store or the
/// local disk failed while checking it (`transient`: the same check may pass later, so nothing is decided on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactProblem {
    pub message: String,
    pub transient: bool,
}

impl ArtifactProblem {
    fn bad(message: String) -> Self {
        Self {
            message,
            transient: false,
        }
    }

    fn from_store(context: String, e: &data::DataError) -> Self {
        Self {
            message: format!("{context}: {e}"),
            transient: e.is_store_unavailable(),
        }
    }
}

impl std::fmt::Display for ArtifactProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Downloads a verified artifact into `dir` (created), for a process that loads the model from files.
pub async fn download(
    store: &ArtifactStore,
    prefix: &str,
    manifest_sha256: &str,
    dir: &Path,
) -> Result<(), ArtifactProblem> {
    let manifest = verify(store, prefix, manifest_sha256).await?;
    let local = |e: std::io::Error, path: &Path| ArtifactProblem {
        message: format!("{}: {e}", path.display()),
        transient: true,
    };
    std::fs::create_dir_all(dir).map_err(|e| local(e, dir))?;
    for (name, sha) in &manifest.files {
        let bytes = store
            .get_verified(&format!("{prefix}/{name}"), sha)
            .await
            .map_err(|e| ArtifactProblem::from_store(format!("file {name}"), &e))?;
        std::fs::write(dir.join(name), &bytes).map_err(|e| local(e, &dir.join(name)))?;
    }
    Ok(())
}
