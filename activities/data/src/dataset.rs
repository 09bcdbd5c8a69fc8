//! Dataset versions: the loaded rows split into train and validation (duplicates kept on one side), the
//! train side resampled by a strategy, written as Parquet with the fixed holdout, versioned by content.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::artifacts::ArtifactStore;
pub use crate::columnar::{DatasetRow, from_parquet, to_parquet};
use crate::error::{DataError, Result};
use crate::store::{Store, audit, with_pool};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The train split as loaded.
    None,
    /// Every class down to `cap` rows (default: the smallest class).
    Undersample,
    /// Every class up to `cap` rows by sampling with replacement (default: the largest class); larger classes stay.
    Oversample,
}

impl std::str::FromStr for Strategy {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Strategy::None),
            "undersample" => Ok(Strategy::Undersample),
            "oversample" => Ok(Strategy::Oversample),
            other => Err(DataError::InvalidArgument(format!(
                "unknown strategy {other:?}: expected none, undersample or oversample"
            ))),
        }
    }
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::None => "none",
            Strategy::Undersample => "undersample",
            Strategy::Oversample => "oversample",
        }
    }
}

#[derive(Clone, Debug)]
pub struct DatasetOptions {
    pub strategy: Strategy,
    pub cap: Option<usize>,
    pub seed: u64,
    pub validation_fraction: f64,
    pub actor: String,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        DatasetOptions {
            strategy: Strategy::Oversample,
            cap: None,
            seed: 42,
            validation_fraction: 0.15,
            actor: "unknown".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetFile {
    pub key: String,
    pub sha256: String,
    pub rows: usize,
    pub class_distribution: BTreeMap<i64, usize>,
}

/// What `manifest.json` holds; its sha256 is the version's sha256.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetManifest {
    pub id: String,
    pub strategy: Strategy,
    pub cap: Option<usize>,
    pub seed: u64,
    pub validation_fraction: f64,
    pub loaded_rows: usize,
    pub last_batch: Option<String>,
    /// Loaded rows left out because their text equals a holdout row's (it would inflate holdout scores).
    pub dropped_holdout_duplicates: usize,
    /// train, validation, holdout.
    pub files: BTreeMap<String, DatasetFile>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatasetVersion {
    pub manifest: DatasetManifest,
    pub sha256: String,
    pub uri: String,
    pub created_at: DateTime<Utc>,
    /// True when this version existed already and was returned as it was.
    pub reused: bool,
}

impl DatasetVersion {
    pub fn id(&self) -> &str {
        &self.manifest.id
    }
}

impl Store {
    /// Builds (or finds) the dataset version for the loaded rows and `options`.
    pub async fn build_dataset(
        &self,
        artifacts: &ArtifactStore,
        options: &DatasetOptions,
    ) -> Result<DatasetVersion> {
        if !(0.0..0.9).contains(&options.validation_fraction) {
            return Err(DataError::InvalidArgument(
                "validation fraction must be in [0, 0.9)".into(),
            ));
        }
        if options.cap == Some(0) {
            return Err(DataError::InvalidArgument("cap must be at least 1".into()));
        }
        let (loaded, holdout, last_batch) = self.dataset_snapshot().await?;
        if loaded.is_empty() {
            return Err(DataError::NothingLoaded);
        }

        let id = version_id(&loaded, &holdout, options);
        if let Some(existing) = self.dataset_version(&id).await? {
            return Ok(DatasetVersion {
                reused: true,
                ..existing
            });
        }

        let built = build(loaded, holdout, options);
        let prefix = format!("datasets/{id}");
        let mut files = BTreeMap::new();
        for (name, rows) in [
            ("train", &built.train),
            ("validation", &built.validation),
            ("holdout", &built.holdout),
        ] {
            let key = format!("{prefix}/{name}.parquet");
            let sha256 = artifacts.put(&key, to_parquet(rows)?).await?;
            files.insert(
                name.to_string(),
                DatasetFile {
                    key,
                    sha256,
                    rows: rows.len(),
                    class_distribution: distribution(rows),
                },
            );
        }
        let manifest = DatasetManifest {
            id: id.clone(),
            strategy: options.strategy,
            cap: options.cap,
            seed: options.seed,
            validation_fraction: options.validation_fraction,
            loaded_rows: built.loaded_rows,
            last_batch,
            dropped_holdout_duplicates: built.dropped_holdout_duplicates,
            files,
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest)?;
        let sha256 = artifacts
            .put(&format!("{prefix}/manifest.json"), manifest_json.clone())
            .await?;
        let uri = artifacts.url_of(&prefix);
        let created_at = Utc::now();
        let inserted = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO dataset_versions (id, strategy, cap, seed, validation_fraction, loaded_rows, last_batch, \
                 train_rows, validation_rows, holdout_rows, sha256, uri, manifest, actor, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(options.strategy.as_str())
            .bind(options.cap.map(|c| c as i64))
            .bind(options.seed as i64)
            .bind(options.validation_fraction)
            .bind(manifest.loaded_rows as i64)
            .bind(&manifest.last_batch)
            .bind(built.train.len() as i64)
            .bind(built.validation.len() as i64)
            .bind(built.holdout.len() as i64)
            .bind(&sha256)
            .bind(&uri)
            .bind(String::from_utf8_lossy(&manifest_json).into_owned())
            .bind(&options.actor)
            .bind(created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                audit!(tx, &options.actor, "build_dataset", "dataset_version", &id, serde_json::json!({
                    "sha256": sha256, "uri": uri, "strategy": options.strategy, "cap": options.cap,
                    "train_rows": built.train.len(), "validation_rows": built.validation.len(),
                    "holdout_rows": built.holdout.len(),
                }))?;
            }
            tx.commit().await?;
            n == 1
        });
        if !inserted {
            // A concurrent build of the same version won the race; the files are identical.
            if let Some(existing) = self.dataset_version(&id).await? {
                return Ok(DatasetVersion {
                    reused: true,
                    ..existing
                });
            }
        }
        Ok(DatasetVersion {
            manifest,
            sha256,
            uri,
            created_at,
            reused: false,
        })
    }

    pub async fn dataset_version(&self, id: &str) -> Result<Option<DatasetVersion>> {
        let row: Option<(String, String, String, DateTime<Utc>)> = with_pool!(self, p => {
            sqlx::query_as("SELECT manifest, sha256, uri, created_at FROM dataset_versions WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(|(m, sha256, uri, created_at)| {
            Ok(DatasetVersion {
                manifest: serde_json::from_str(&m)?,
                sha256,
                uri,
                created_at,
                reused: false,
            })
        })
        .transpose()
    }

    /// Every dataset version, newest first.
    pub async fn dataset_versions(&self) -> Result<Vec<DatasetVersion>> {
        let ids: Vec<String> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT id FROM dataset_versions ORDER BY created_at DESC, id").fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.dataset_version(&id).await?);
        }
        Ok(out)
    }

    /// The fixed holdout: an id naming exactly these rows (`ho-` + 16 hex of their ids and labels) and the rows.
    /// Every model is scored on it, and scores are compared only between equal ids.
    pub async fn holdout(&self) -> Result<(String, Vec<DatasetRow>)> {
        let rows = self
            .dataset_rows(
                "SELECT productid, designation, description, prdtypecode FROM source_rows WHERE is_holdout ORDER BY productid",
            )
            .await?;
        if rows.is_empty() {
            return Err(DataError::NoSourcePool);
        }
        let mut h = Sha256::new();
        for r in &rows {
            h.update(r.productid.to_le_bytes());
            h.update(r.prdtypecode.to_le_bytes());
        }
        Ok((format!("ho-{}", &hex::encode(h.finalize())[..16]), rows))
    }

    /// Loaded rows, holdout rows and the last batch's name, read in one snapshot: a load committing meanwhile
    /// cannot make the manifest name a batch whose rows it lacks.
    async fn dataset_snapshot(&self) -> Result<(Vec<DatasetRow>, Vec<DatasetRow>, Option<String>)> {
        type Row = (i64, String, String, i64);
        let to_rows = |rows: Vec<Row>| -> Vec<DatasetRow> {
            rows.into_iter().map(DatasetRow::from).collect()
        };
        let (loaded, holdout, last): (Vec<Row>, Vec<Row>, Option<String>) = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            if self.backend() == "postgres" {
                // SQLite (WAL) keeps one snapshot per read transaction already.
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
            }
            let loaded = sqlx::query_as(
                "SELECT p.productid, p.designation, p.description, l.prdtypecode \
                 FROM products p JOIN labels l ON l.productid = p.productid ORDER BY p.productid",
            )
            .fetch_all(&mut *tx)
            .await?;
            let holdout = sqlx::query_as(
                "SELECT productid, designation, description, prdtypecode FROM source_rows WHERE is_holdout ORDER BY productid",
            )
            .fetch_all(&mut *tx)
            .await?;
            let last = sqlx::query_scalar("SELECT name FROM load_batches ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            (loaded, holdout, last)
        });
        Ok((to_rows(loaded), to_rows(holdout), last))
    }

    async fn dataset_rows(&self, sql: &str) -> Result<Vec<DatasetRow>> {
        let rows: Vec<(i64, String, String, i64)> =
            with_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?);
        Ok(rows.into_iter().map(DatasetRow::from).collect())
    }
}

/// Reads one split (`train`, `validation`, `holdout`) of a version, checking its sha256.
pub async fn read_split(
    artifacts: &ArtifactStore,
    version: &DatasetManifest,
    split: &str,
) -> Result<Vec<DatasetRow>> {
    let file = version.files.get(split).ok_or_else(|| {
        DataError::InvalidArgument(format!("dataset {} has no split {split:?}", version.id))
    })?;
    from_parquet(artifacts.get_verified(&file.key, &file.sha256).await?)
}

struct Built {
    train: Vec<DatasetRow>,
    validation: Vec<DatasetRow>,
    holdout: Vec<DatasetRow>,
    loaded_rows: usize,
    dropped_holdout_duplicates: usize,
}

/// The version id: a hash of everything that decides the files' content.
fn version_id(loaded: &[DatasetRow], holdout: &[DatasetRow], o: &DatasetOptions) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "dataset-v1|{}|{:?}|{}|{}|",
        o.strategy.as_str(),
        o.cap,
        o.seed,
        o.validation_fraction
    ));
    for (tag, rows) in [(b'L', loaded), (b'H', holdout)] {
        for r in rows {
            h.update([tag]);
            h.update(r.productid.to_le_bytes());
            h.update(r.prdtypecode.to_le_bytes());
            for s in [&r.designation, &r.description] {
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    format!("ds-{}", &hex::encode(h.finalize())[..16])
}

/// Rows with the same normalised text are duplicates: they go to the same side of every split.
fn text_key(r: &DatasetRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(r.designation.trim().to_lowercase());
    h.update([0]);
    h.update(r.description.trim().to_lowercase());
    h.finalize().into()
}

fn build(loaded: Vec<DatasetRow>, holdout: Vec<DatasetRow>, o: &DatasetOptions) -> Built {
    let mut rng = ChaCha8Rng::seed_from_u64(o.seed);
    let loaded_rows = loaded.len();
    let holdout_keys: HashSet<[u8; 32]> = holdout.iter().map(text_key).collect();
    let before = loaded.len();
    let loaded: Vec<DatasetRow> = loaded
        .into_iter()
        .filter(|r| !holdout_keys.contains(&text_key(r)))
        .collect();
    let dropped_holdout_duplicates = before - loaded.len();

    // Group duplicates, then per class send whole groups to validation until its share is reached.
    let mut groups: BTreeMap<[u8; 32], Vec<usize>> = BTreeMap::new();
    for (i, r) in loaded.iter().enumerate() {
        groups.entry(text_key(r)).or_default().push(i);
    }
    let mut class_groups: BTreeMap<i64, Vec<&Vec<usize>>> = BTreeMap::new();
    for g in groups.values() {
        class_groups
            .entry(loaded[g[0]].prdtypecode)
            .or_default()
            .push(g);
    }
    let mut in_validation = vec![false; loaded.len()];
    for gs in class_groups.values_mut() {
        let class_rows: usize = gs.iter().map(|g| g.len()).sum();
        let want = (class_rows as f64 * o.validation_fraction).round() as usize;
        gs.shuffle(&mut rng);
        let mut taken = 0;
        for g in gs.iter() {
            if taken >= want || class_rows - taken - g.len() == 0 {
                break;
            }
            for &i in g.iter() {
                in_validation[i] = true;
            }
            taken += g.len();
        }
    }
    let mut train = Vec::new();
    let mut validation = Vec::new();
    for (r, v) in loaded.into_iter().zip(in_validation) {
        if v { validation.push(r) } else { train.push(r) }
    }
    let mut train = resample(train, o.strategy, o.cap, &mut rng);
    train.shuffle(&mut rng);
    Built {
        train,
        validation,
        holdout,
        loaded_rows,
        dropped_holdout_duplicates,
    }
}

fn resample(
    rows: Vec<DatasetRow>,
    strategy: Strategy,
    cap: Option<usize>,
    rng: &mut ChaCha8Rng,
) -> Vec<DatasetRow> {
    let mut by_class: BTreeMap<i64, Vec<DatasetRow>> = BTreeMap::new();
    for r in rows {
        by_class.entry(r.prdtypecode).or_default().push(r);
    }
    let sizes = by_class.values().map(Vec::len);
    let target = match strategy {
        Strategy::None => return by_class.into_values().flatten().collect(),
        Strategy::Undersample => cap.unwrap_or_else(|| sizes.min().unwrap_or(0)),
        Strategy::Oversample => cap.unwrap_or_else(|| sizes.max().unwrap_or(0)),
    };
    let mut out = Vec::new();
    for (_, mut rows) in by_class {
        if strategy == Strategy::Undersample && rows.len() > target {
            rows.shuffle(rng);
            rows.truncate(target);
        } else if strategy == Strategy::Oversample && rows.len() < target {
            let extra: Vec<DatasetRow> = (0..target - rows.len())
                .filter_map(|_| rows.choose(rng).cloned())
                .collect();
            rows.extend(extra);
        }
        out.extend(rows);
    }
    out
}

fn distribution(rows: &[DatasetRow]) -> BTreeMap<i64, usize> {
    let mut d = BTreeMap::new();
    for r in rows {
        *d.entry(r.prdtypecode).or_default() += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pid: i64, text: &str, code: i64) -> DatasetRow {
        DatasetRow::titled(pid, text, code)
    }

    #[test]
    fn duplicates_stay_on_one_side_and_holdout_duplicates_are_dropped() {
        let mut loaded = Vec::new();
        for i in 0..200 {
            // Every text appears twice (ids i and i + 1000), in two classes.
            loaded.push(row(i, &format!("Produit {}", i / 2), 10 + (i % 2) * 30));
        }
        let holdout = vec![row(5000, "produit 3", 40)];
        let o = DatasetOptions {
            strategy: Strategy::None,
            validation_fraction: 0.2,
            ..Default::default()
        };
        let b = build(loaded, holdout, &o);
        assert_eq!(b.dropped_holdout_duplicates, 2);
        let train_keys: HashSet<_> = b.train.iter().map(text_key).collect();
        assert!(
            b.validation
                .iter()
                .all(|r| !train_keys.contains(&text_key(r)))
        );
        assert_eq!(b.train.len() + b.validation.len(), 198);
        assert!(
            (35..=45).contains(&b.validation.len()),
            "{}",
            b.validation.len()
        );
    }

    #[test]
    fn strategies_balance_the_train_split() {
        let mut rows = Vec::new();
        for i in 0..60 {
            rows.push(row(i, &format!("a{i}"), if i < 50 { 1 } else { 2 }));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for (strategy, cap, expected) in [
            (Strategy::Undersample, None, [(1, 10), (2, 10)]),
            (Strategy::Oversample, None, [(1, 50), (2, 50)]),
            (Strategy::Oversample, Some(30), [(1, 50), (2, 30)]),
            (Strategy::Undersample, Some(20), [(1, 20), (2, 10)]),
        ] {
            let d = distribution(&resample(rows.clone(), strategy, cap, &mut rng));
            assert_eq!(d, BTreeMap::from(expected), "{strategy:?} cap {cap:?}");
        }
    }

    #[test]
    fn strategy_parses() {
        assert_eq!(
            "oversample".parse::<Strategy>().unwrap(),
            Strategy::Oversample
        );
        assert!("balanced".parse::<Strategy>().is_err());
    }
}
