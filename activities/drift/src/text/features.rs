//! Text to TF-IDF rows exactly as scikit-learn's `TfidfVectorizer(sublinear_tf=True, max_df=0.5,
//! stop_words="english")` builds them: `(?u)\b\w\w+\b` words, lower-cased, its English stop
//! words, a vocabulary of the training texts (alphabetical; terms in more than half of them
//! dropped), `1 + ln(tf)`, smoothed idf and L2 norm — in the same row order, so sums round alike.
//! Words are keyed by a 64-bit hash; only the vocabulary keeps their text (for its order).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use super::stop_words::{STOP_WORD_MAX_BYTES, STOP_WORDS};

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

/// Maps keyed by word hashes, which need no further hashing.
type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// Rows of sparse `(column, value)` pairs stored contiguously (one allocation per corpus).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    ids: Vec<u32>,
    vals: Vec<f64>,
    ends: Vec<usize>,
}

impl SparseRows {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Columns and values of row `i`, in stored order.
    pub fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = self.ends[i];
        (&self.ids[start..end], &self.vals[start..end])
    }

    /// The entries as `(column, value)` pairs, with the row ends.
    pub fn interleaved(&self) -> (Vec<(u32, f64)>, &[usize]) {
        let pairs = self.ids.iter().copied().zip(self.vals.iter().copied());
        (pairs.collect(), &self.ends)
    }

    fn end_row(&mut self) {
        self.ends.push(self.ids.len());
    }
}

/// Word keys of every text (stop words removed). The words themselves are re-read from the
/// texts only for vocabulary terms (see [`Tokens::words_matching`]).
#[derive(Debug, Default)]
pub struct Tokens<'a> {
    texts: Vec<&'a str>,
    keys: Vec<u64>,
    ends: Vec<usize>,
}

impl<'a> Tokens<'a> {
    /// Tokenises `first` then `second` (the two halves on two threads).
    pub fn new<S: AsRef<str> + Sync>(first: &'a [S], second: &'a [S]) -> Self {
        let (mut out, tail) = std::thread::scope(|s| {
            let tail = s.spawn(|| Self::one_thread(second));
            (Self::one_thread(first), tail.join())
        });
        // Tokenising cannot panic; should the worker ever do so, tokenise here instead.
        let tail = tail.unwrap_or_else(|_| Self::one_thread(second));
        let shift = out.keys.len();
        out.texts.extend(tail.texts);
        out.keys.extend(tail.keys);
        out.ends.extend(tail.ends.into_iter().map(|e| e + shift));
        out
    }

    fn one_thread<S: AsRef<str>>(texts: &'a [S]) -> Self {
        let mut out = Self {
            texts: texts.iter().map(AsRef::as_ref).collect(),
            keys: Vec::new(),
            ends: Vec::with_capacity(texts.len()),
        };
        let mut word = Vec::with_capacity(64);
        for text in &out.texts {
            tokenize(text, &mut word, false, |key, _| out.keys.push(key));
            out.ends.push(out.keys.len());
        }
        out
    }

    fn doc(&self, i: usize) -> &[u64] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.keys[start..self.ends[i]]
    }

    /// The words of document `i` whose keys pass `wanted`, with their keys.
    fn words_matching(&self, i: usize, wanted: impl Fn(u64) -> bool) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        tokenize(self.texts[i], &mut Vec::new(), true, |key, word| {
            if wanted(key) {
                out.push((key, String::from_utf8_lossy(word).into_owned()));
            }
        });
        out
    }
}

/// Calls `emit(key, word)` for each lower-cased word of two or more characters that is not a
/// stop word. `word` receives the word's bytes only if `keep_words` (the key alone is hashed
/// on the fly otherwise).
fn tokenize(text: &str, word: &mut Vec<u8>, keep_words: bool, mut emit: impl FnMut(u64, &[u8])) {
    let mut w = WordState::new();
    word.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut utf8 = [0u8; 4];
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            match ASCII_WORD[b as usize] {
                0 => w.finish(word, &mut emit),
                lower => {
                    w.push(lower, word, keep_words);
                    w.chars += 1;
                }
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        i += c.len_utf8();
        // scikit-learn lower-cases the text before matching words, so classify the lower-case
        // characters ("İ" becomes "i" and a combining dot, which ends a word).
        for lc in c.to_lowercase() {
            if is_word_char(lc) {
                for &b in lc.encode_utf8(&mut utf8).as_bytes() {
                    w.push(b, word, keep_words);
                }
                w.chars += 1;
            } else {
                w.finish(word, &mut emit);
            }
        }
    }
    w.finish(word, &mut emit);
}

/// The word being read: its FNV-1a hash, length in bytes and in characters.
struct WordState {
    hash: u64,
    bytes: usize,
    chars: usize,
}

impl WordState {
    fn new() -> Self {
        Self {
            hash: FNV_OFFSET,
            bytes: 0,
            chars: 0,
        }
    }

    fn push(&mut self, b: u8, word: &mut Vec<u8>, keep: bool) {
        self.hash = (self.hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        self.bytes += 1;
        if keep {
            word.push(b);
        }
    }

    fn finish(&mut self, word: &mut Vec<u8>, emit: &mut impl FnMut(u64, &[u8])) {
        if self.chars >= 2 && !is_stop_word(self.hash, self.bytes) {
            emit(self.hash, word);
        }
        word.clear();
        *self = Self::new();
    }
}

/// ASCII bytes that belong to words (`\w`), lower-cased; 0 for separators.
const ASCII_WORD: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' {
            t[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    t
};

/// Python's `\w` for non-ASCII characters: letters, digits and other numerics.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME)
    })
}

fn is_stop_word(key: u64, len: usize) -> bool {
    /// Sorted keys of the stop words, and a 1024-bit filter that rejects most other words
    /// before the binary search.
    static STOP: LazyLock<(Vec<u64>, [u64; 16])> = LazyLock::new(|| {
        let mut keys: Vec<u64> = STOP_WORDS.iter().map(|w| fnv(w.as_bytes())).collect();
        keys.sort_unstable();
        let mut bloom = [0u64; 16];
        for k in &keys {
            bloom[(k >> 60) as usize] |= 1 << ((k >> 54) & 63);
        }
        (keys, bloom)
    });
    let (keys, bloom) = &*STOP;
    len <= STOP_WORD_MAX_BYTES
        && bloom[(key >> 60) as usize] & (1 << ((key >> 54) & 63)) != 0
        && keys.binary_search(&key).is_ok()
}

/// The fitted vocabulary and idf.
pub struct Vectorizer {
    /// Word key → alphabetical column.
    columns: KeyMap<u32>,
    idf: Vec<f64>,
}

impl Vectorizer {
    /// Fits on the documents `docs` of `tokens` (in that order) and returns their TF-IDF rows.
    /// `None` when no term survives (scikit-learn raises there).
    pub fn fit_transform(tokens: &Tokens<'_>, docs: &[usize]) -> Option<(Self, SparseRows)> {
        // Columns by first appearance, as CountVectorizer numbers them before sorting.
        let mut first: KeyMap<u32> = KeyMap::default();
        let mut first_keys: Vec<u64> = Vec::new();
        let mut first_words: Vec<String> = Vec::new();
        let mut counts: Vec<(u32, f64)> = Vec::new();
        let mut rows: Vec<(u32, f64)> = Vec::new();
        let mut ends = Vec::with_capacity(docs.len());
        for &d in docs {
            counts.clear();
            let seen = first_keys.len();
            for key in tokens.doc(d) {
                let next = first_keys.len() as u32;
                let id = *first.entry(*key).or_insert_with(|| {
                    first_keys.push(*key);
                    next
                });
                counts.push((id, 1.0));
            }
            if first_keys.len() > seen {
                // New terms: read their text (needed to sort the vocabulary).
                let new = &first_keys[seen..];
                let mut words = tokens.words_matching(d, |k| new.contains(&k));
                for key in new {
                    let found = words.iter().position(|(k, _)| k == key);
                    first_words.push(found.map(|p| words.swap_remove(p).1).unwrap_or_default());
                }
            }
            rows.extend(merge_counts(&mut counts));
            ends.push(rows.len());
        }
        let mut df = vec![0u32; first_keys.len()];
        for (id, _) in &rows {
            df[*id as usize] += 1;
        }
        let n_docs = docs.len() as f64;
        let mut kept: Vec<(&str, u32)> = first_keys
            .iter()
            .enumerate()
            .filter(|(i, _)| f64::from(df[*i]) <= 0.5 * n_docs)
            .map(|(i, _)| (first_words[i].as_str(), i as u32))
            .collect();
        if kept.is_empty() {
            return None;
        }
        kept.sort_unstable();
        let mut column_of_first = vec![u32::MAX; first_keys.len()];
        let mut columns: KeyMap<u32> = KeyMap::default();
        let mut idf = Vec::with_capacity(kept.len());
        for (col, (_, id)) in kept.iter().enumerate() {
            column_of_first[*id as usize] = col as u32;
            columns.insert(first_keys[*id as usize], col as u32);
            let smoothed = (n_docs + 1.0) / (f64::from(df[*id as usize]) + 1.0);
            idf.push(smoothed.ln() + 1.0);
        }
        let vectorizer = Self { columns, idf };
        // Training rows keep the first-appearance order of their terms (scikit-learn selects
        // the kept columns without re-sorting).
        let mut out = SparseRows::default();
        let mut start = 0;
        for end in ends {
            vectorizer.push_row(
                &mut out,
                rows[start..end]
                    .iter()
                    .map(|(id, tf)| (column_of_first[*id as usize], *tf))
                    .filter(|(col, _)| *col != u32::MAX),
            );
            start = end;
        }
        Some((vectorizer, out))
    }

    /// Number of columns (vocabulary size).
    pub fn n_features(&self) -> usize {
        self.idf.len()
    }

    /// TF-IDF rows of the documents `docs` (columns ascending, as `transform` gives them).
    pub fn transform(&self, tokens: &Tokens<'_>, docs: &[usize]) -> SparseRows {
        let mut out = SparseRows::default();
        let mut counts: Vec<(u32, f64)> = Vec::new();
        for &d in docs {
            counts.clear();
            counts.extend(
                tokens
                    .doc(d)
                    .iter()
                    .filter_map(|k| self.columns.get(k).map(|c| (*c, 1.0))),
            );
            self.push_row(&mut out, merge_counts(&mut counts));
        }
        out
    }

    /// `1 + ln(tf)`, times idf, L2-normalised (scikit-learn's order of operations).
    fn push_row(&self, out: &mut SparseRows, entries: impl Iterator<Item = (u32, f64)>) {
        let start = out.vals.len();
        for (col, tf) in entries {
            out.ids.push(col);
            out.vals.push((tf.ln() + 1.0) * self.idf[col as usize]);
        }
        let vals = &mut out.vals[start..];
        let sum: f64 = vals.iter().map(|v| v * v).sum();
        if sum != 0.0 {
            let norm = sum.sqrt();
            vals.iter_mut().for_each(|v| *v /= norm);
        }
        out.end_row();
    }
}

/// Sorts `(column, 1.0)` entries by column and merges duplicates into counts.
fn merge_counts(entries: &mut [(u32, f64)]) -> impl Iterator<Item = (u32, f64)> + '_ {
    entries.sort_unstable_by_key(|e| e.0);
    let mut i = 0;
    std::iter::from_fn(move || {
        let (col, _) = *entries.get(i)?;
        let run = entries[i..].iter().take_while(|e| e.0 == col).count();
        i += run;
        Some((col, run as f64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let texts = [text];
        let t = Tokens::new(&texts, &[]);
        t.words_matching(0, |_| true)
            .into_iter()
            .map(|(_, w)| w)
            .collect()
    }

    #[test]
    fn tokenizes_like_scikit_learn() {
        // CountVectorizer(stop_words="english").build_analyzer()("a The Livre, l'été 2x_y!")
        assert_eq!(words("a The Livre, l'été 2x_y!"), ["livre", "été", "2x_y"]);
        assert_eq!(words("ÉTÉ"), ["été"]);
        // "İstanbul".lower() is "i̇stanbul": the combining dot splits it.
        assert_eq!(words("İstanbul"), ["stanbul"]);
        assert!(words("yourselves and themselves").is_empty());
    }

    #[test]
    fn vocabulary_drops_terms_in_more_than_half_the_documents() {
        let texts = ["chat noir", "chat blanc", "chat gris", "chien gris"];
        let tokens = Tokens::new(&texts, &[]);
        let (v, rows) = Vectorizer::fit_transform(&tokens, &[0, 1, 2, 3]).unwrap();
        // "chat" (3 of 4) goes; "gris" (2 of 4) stays. Columns: blanc, chien, gris, noir.
        assert_eq!(v.idf.len(), 4);
        // Training rows keep first-appearance order: "gris" (seen in row 2) before "chien".
        let (ids, vals) = rows.row(3);
        assert_eq!(ids, [2, 1]);
        let idf_chien = (5.0f64 / 2.0).ln() + 1.0;
        let idf_gris = (5.0f64 / 3.0).ln() + 1.0;
        let norm = (idf_chien * idf_chien + idf_gris * idf_gris).sqrt();
        assert!((vals[1] - idf_chien / norm).abs() < 1e-15);
        let unseen = ["gris gris blanc inconnu"];
        let test = v.transform(&Tokens::new(&unseen, &[]), &[0]);
        let (ids, vals) = test.row(0);
        assert_eq!(ids, [0, 2]);
        let idf_blanc = (5.0f64 / 2.0).ln() + 1.0;
        let g = (2f64.ln() + 1.0) * idf_gris;
        assert!((vals[1] - g / (g * g + idf_blanc * idf_blanc).sqrt()).abs() < 1e-15);
    }
}
