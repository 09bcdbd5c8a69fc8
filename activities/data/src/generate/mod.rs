//! Synthetic Rakuten France catalogue in the challenge's file format.
//!
//! `generate(rows, seed)` draws French product titles and HTML descriptions for the 27 `prdtypecode`
//! classes, in the proportions of the real training set, and `write_challenge_files` writes them as the
//! challenge's `X_train.csv` / `Y_train.csv` pair. The same `(rows, seed)` always gives the same bytes,
//! so pipelines and tests can run end to end without the real data.

mod text;
mod vocab;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use text::Speaker;

/// Class counts of the challenge's full training set (84,916 rows).
pub const CLASS_COUNTS: [(i64, usize); 27] = [
    (10, 3116),
    (40, 2508),
    (50, 1681),
    (60, 832),
    (1140, 2671),
    (1160, 3953),
    (1180, 764),
    (1280, 4870),
    (1281, 2070),
    (1300, 5045),
    (1301, 807),
    (1302, 2491),
    (1320, 3241),
    (1560, 5073),
    (1920, 4303),
    (1940, 803),
    (2060, 4993),
    (2220, 824),
    (2280, 4760),
    (2403, 4774),
    (2462, 1421),
    (2522, 4989),
    (2582, 2589),
    (2583, 10209),
    (2585, 2496),
    (2705, 2761),
    (2905, 872),
];

/// Rows in the challenge's full training set.
pub const FULL_TRAINING_ROWS: usize = 84_916;

/// Chance that a row repeats an earlier row's title and description under a new product id.
const DUPLICATE_SHARE: f64 = 0.01;

/// One product: a row of `X_train.csv` and its label in `Y_train.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRow {
    pub index: usize,
    pub designation: String,
    pub description: String,
    pub productid: i64,
    pub imageid: i64,
    pub prdtypecode: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: csv::Error },
    #[error("cannot move {from} to {to}: {source}")]
    Rename {
        from: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
}

/// Generates `rows` products in shuffled order, deterministically from `seed`.
pub fn generate(rows: usize, seed: u64) -> Vec<GeneratedRow> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let classes = vocab::classes();
    let speakers: Vec<Speaker<'_>> = classes
        .iter()
        .map(|own| Speaker {
            own,
            related: own
                .related
                .iter()
                .filter_map(|code| classes.iter().find(|c| c.code == *code).copied())
                .collect(),
        })
        .collect();

    let mut labels: Vec<usize> = class_sizes(rows)
        .iter()
        .enumerate()
        .flat_map(|(class, &size)| std::iter::repeat_n(class, size))
        .collect();
    labels.shuffle(&mut rng);

    let mut productids = HashSet::with_capacity(rows);
    // Row positions per class, so a duplicate copies a product of its own class.
    let mut seen: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
    let mut out: Vec<GeneratedRow> = Vec::with_capacity(rows);
    for (index, &class) in labels.iter().enumerate() {
        let productid = loop {
            let id = rng.random_range(1_000_000..4_300_000_000_i64);
            if productids.insert(id) {
                break id;
            }
        };
        let imageid = rng.random_range(1_000_000..1_300_000_000_i64);
        let earlier = seen[class].choose(&mut rng).copied();
        let (designation, description) = match earlier {
            Some(earlier) if rng.random_bool(DUPLICATE_SHARE) => (
                out[earlier].designation.clone(),
                out[earlier].description.clone(),
            ),
            _ => {
                let speaker = &speakers[class];
                let title = speaker.title(&mut rng);
                let description = speaker.description(&mut rng, &title);
                (title, description)
            }
        };
        seen[class].push(index);
        out.push(GeneratedRow {
            index,
            designation,
            description,
            productid,
            imageid,
            prdtypecode: CLASS_COUNTS[class].0,
        });
    }
    out
}

/// Writes `X_train.csv` and `Y_train.csv` into `dir` (created if missing) and returns their paths.
///
/// Each file is written beside its final name and renamed into place, so a rerun after a crash never
/// leaves a half-written file behind.
pub fn write_challenge_files(
    dir: &Path,
    rows: &[GeneratedRow],
) -> Result<(PathBuf, PathBuf), GenerateError> {
    fs::create_dir_all(dir).map_err(|source| GenerateError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let x_path = dir.join("X_train.csv");
    let y_path = dir.join("Y_train.csv");
    write_atomically(&x_path, |w| {
        w.write_record(["", "designation", "description", "productid", "imageid"])?;
        for row in rows {
            w.write_record([
                row.index.to_string().as_str(),
                &row.designation,
                &row.description,
                &row.productid.to_string(),
                &row.imageid.to_string(),
            ])?;
        }
        Ok(())
    })?;
    write_atomically(&y_path, |w| {
        w.write_record(["", "prdtypecode"])?;
        for row in rows {
            w.write_record([row.index.to_string(), row.prdtypecode.to_string()])?;
        }
        Ok(())
    })?;
    Ok((x_path, y_path))
}

/// Rows per class (in `CLASS_COUNTS` order) for a data set of `rows` rows: proportional to the full
/// set by largest remainder, exact at 84,916, and at least one per class once `rows >= 27`.
fn class_sizes(rows: usize) -> [usize; 27] {
    let total = FULL_TRAINING_ROWS as u128;
    let mut sizes = [0usize; 27];
    let mut remainders = [(0u128, 0usize); 27];
    for (class, &(_, count)) in CLASS_COUNTS.iter().enumerate() {
        let scaled = rows as u128 * count as u128;
        sizes[class] = (scaled / total) as usize;
        remainders[class] = (scaled % total, class);
    }
    // Largest remainders first; ties go to the earlier class so the split is deterministic.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let missing = rows - sizes.iter().sum::<usize>();
    for &(_, class) in remainders.iter().take(missing) {
        sizes[class] += 1;
    }
    if rows >= sizes.len() {
        while let Some(empty) = sizes.iter().position(|&size| size == 0) {
            let largest = (0..sizes.len())
                .max_by_key(|&c| (sizes[c], usize::MAX - c))
                .unwrap_or(0);
            sizes[largest] -= 1;
            sizes[empty] += 1;
        }
    }
    sizes
}

fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut csv::Writer<fs::File>) -> Result<(), csv::Error>,
) -> Result<(), GenerateError> {
    let partial = path.with_extension("csv.partial");
    let write_error = |source| GenerateError::Write {
        path: partial.clone(),
        source,
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(&partial)
        .map_err(write_error)?;
    body(&mut writer).map_err(write_error)?;
    writer.flush().map_err(|e| write_error(e.into()))?;
    drop(writer);
    fs::rename(&partial, path).map_err(|source| GenerateError::Rename {
        from: partial.clone(),
        to: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
