//! Training checkpoints kept in the artifact store, so that an attempt on any worker resumes them: a worker
//! that dies mid-training loses its local folder with it, not the epochs it finished.
//!
//! Layout: `checkpoints/<run id>/` holds the weight files of an epoch (named by epoch, so a new epoch never
//! overwrites the files the current manifest names) and `state.json`, the manifest, written last. A reader that
//! finds a manifest finds the files it names: the manifest is the commit point, as it is in the local folder
//! (`model::checkpoint`). The previous epoch's objects are removed only after the new manifest is in place.

use std::path::Path;

use anyhow::Context;
use data::ArtifactStore;
use model::checkpoint::{MANIFEST, Manifest};

/// The store's folder of a training run's checkpoint.
pub fn prefix(run_id: &str) -> String {
    format!("checkpoints/{run_id}")
}

/// Copies the checkpoint committed in `dir` to the store: its weight files, then its manifest, then removes
/// the objects the manifest no longer names.
pub async fn upload(artifacts: &ArtifactStore, run_id: &str, dir: &Path) -> anyhow::Result<usize> {
    let prefix = prefix(run_id);
    let manifest_bytes = tokio::fs::read(dir.join(MANIFEST))
        .await
        .with_context(|| format!("reading {}", dir.join(MANIFEST).display()))?;
    let manifest = Manifest::parse(&manifest_bytes).with_context(|| {
        format!(
            "{} is not a checkpoint manifest",
            dir.join(MANIFEST).display()
        )
    })?;
    for file in &manifest.files {
        let bytes = tokio::fs::read(dir.join(file))
            .await
            .with_context(|| format!("reading {}", dir.join(file).display()))?;
        artifacts.put(&format!("{prefix}/{file}"), bytes).await?;
    }
    artifacts
        .put(&format!("{prefix}/{MANIFEST}"), manifest_bytes)
        .await?;
    for key in artifacts.list(&prefix).await? {
        let name = key.rsplit('/').next().unwrap_or_default();
        if name != MANIFEST && !manifest.files.iter().any(|f| f == name) {
            artifacts.delete(&key).await?;
        }
    }
    Ok(manifest.next_epoch)
}

/// Restores the store's checkpoint of `run_id` into `dir` (files first, manifest last) when `dir` holds none.
/// The epoch it resumes at, or `None` when the store has no checkpoint of the run either.
pub async fn restore(
    artifacts: &ArtifactStore,
    run_id: &str,
    dir: &Path,
) -> anyhow::Result<Option<usize>> {
    if let Some(epoch) = model::checkpoint::resume_epoch(dir) {
        return Ok(Some(epoch));
    }
    let prefix = prefix(run_id);
    let manifest_key = format!("{prefix}/{MANIFEST}");
    if !artifacts.exists(&manifest_key).await? {
        return Ok(None);
    }
    let manifest_bytes = artifacts.get(&manifest_key).await?;
    let Some(manifest) = Manifest::parse(&manifest_bytes) else {
        tracing::warn!(key = %manifest_key, "unreadable checkpoint manifest in the store: training from scratch");
        return Ok(None);
    };
    tokio::fs::create_dir_all(dir).await?;
    for file in &manifest.files {
        let bytes = artifacts.get(&format!("{prefix}/{file}")).await?;
        write_atomic(&dir.join(file), &bytes).await?;
    }
    write_atomic(&dir.join(MANIFEST), &manifest_bytes).await?;
    Ok(Some(manifest.next_epoch))
}

/// Removes the run's checkpoint from the store (its model is registered or staged: it has done its job).
pub async fn remove(artifacts: &ArtifactStore, run_id: &str) -> anyhow::Result<()> {
    for key in artifacts.list(&prefix(run_id)).await? {
        artifacts.delete(&key).await?;
    }
    Ok(())
}

async fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("part");
    tokio::fs::write(&tmp, bytes)
        .await
        .with_context(|| format!("writing {}", tmp.display()))?;
    tokio::fs::rename(&tmp, path)
        .await
        .with_context(|| format!("renaming {}", tmp.display()))?;
    Ok(())
}
