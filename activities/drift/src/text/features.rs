//! Text to sparse TF-IDF vectors: scikit-learn's word pattern (`\b\w\w+\b`, lower-cased), English
//! stop words, words hashed into a fixed number of features, sublinear tf, smoothed idf with
//! `max_df = 0.5`, L2 norm.

/// Number of hashed features (2^18): the weights stay in the CPU cache.
pub const HASH_BITS: u32 = 18;
pub const N_FEATURES: usize = 1 << HASH_BITS;

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;
/// Stop words have at most 8 bytes; longer words skip the lookup.
const STOP_WORD_MAX_BYTES: usize = 8;

/// Rows of sparse `(feature id, value)` pairs stored contiguously (one allocation per corpus).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    ids: Vec<u32>,
    vals: Vec<f32>,
    ends: Vec<usize>,
}

impl SparseRows {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Feature ids (ascending) and values of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let end = self.ends[i];
        (&self.ids[start..end], &self.vals[start..end])
    }

    fn end_row(&mut self) {
        self.ends.push(self.ids.len());
    }

    /// Appends the rows of `other` after these.
    pub fn append(&mut self, other: SparseRows) {
        let shift = self.ids.len();
        self.ids.extend(other.ids);
        self.vals.extend(other.vals);
        self.ends.extend(other.ends.into_iter().map(|e| e + shift));
    }
}

/// Term counts of each text: one row per text, hashed word ids with their counts.
pub fn term_counts<S: AsRef<str>>(texts: &[S]) -> SparseRows {
    let mut rows = SparseRows::default();
    let mut scratch = Vec::new();
    for text in texts {
        hash_words(text.as_ref(), &mut scratch);
        scratch.sort_unstable();
        let mut k = 0;
        while k < scratch.len() {
            let id = scratch[k];
            let run = scratch[k..].iter().take_while(|x| **x == id).count();
            rows.ids.push(id);
            rows.vals.push(run as f32);
            k += run;
        }
        rows.end_row();
    }
    rows
}

/// Hashed ids of the words of `text`, in order, into `out` (cleared first).
fn hash_words(text: &str, out: &mut Vec<u32>) {
    out.clear();
    let mut word = WordHasher::new();
    let mut utf8 = [0u8; 4];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            match ASCII_WORD[b as usize] {
                0 => word.finish(out),
                lower => {
                    word.push(lower);
                    word.chars += 1;
                }
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        i += c.len_utf8();
        if c.is_alphanumeric() {
            for lc in c.to_lowercase() {
                for b in lc.encode_utf8(&mut utf8).bytes() {
                    word.push(b);
                }
            }
            word.chars += 1;
        } else {
            word.finish(out);
        }
    }
    word.finish(out);
}

/// FNV-1a over the lower-cased bytes of the current word (stable across runs and platforms),
/// plus its first bytes packed big-endian for the stop-word lookup.
struct WordHasher {
    hash: u64,
    bytes: usize,
    chars: usize,
    packed: u64,
}

impl WordHasher {
    fn new() -> Self {
        Self {
            hash: FNV_OFFSET,
            bytes: 0,
            chars: 0,
            packed: 0,
        }
    }

    fn push(&mut self, b: u8) {
        self.hash = (self.hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        if self.bytes < STOP_WORD_MAX_BYTES {
            self.packed |= u64::from(b) << (56 - 8 * self.bytes);
        }
        self.bytes += 1;
    }

    fn finish(&mut self, out: &mut Vec<u32>) {
        if self.chars >= 2 && !(self.bytes <= STOP_WORD_MAX_BYTES && is_stop_key(self.packed)) {
            out.push((self.hash >> (64 - HASH_BITS)) as u32);
        }
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

fn is_stop_key(packed: u64) -> bool {
    // A 512-bit filter rejects most words before the binary search.
    let bit = bloom_bit(packed);
    STOP_BLOOM[bit / 64] & (1 << (bit % 64)) != 0 && STOP_KEYS.binary_search(&packed).is_ok()
}

const fn bloom_bit(packed: u64) -> usize {
    (packed.wrapping_mul(0x9E3779B97F4A7C15) >> 55) as usize
}

const STOP_WORDS: [&[u8]; 115] = [
    b"about",
    b"above",
    b"after",
    b"again",
    b"against",
    b"all",
    b"also",
    b"am",
    b"an",
    b"and",
    b"any",
    b"are",
    b"as",
    b"at",
    b"be",
    b"because",
    b"been",
    b"before",
    b"being",
    b"below",
    b"between",
    b"both",
    b"but",
    b"by",
    b"can",
    b"could",
    b"did",
    b"do",
    b"does",
    b"doing",
    b"down",
    b"during",
    b"each",
    b"few",
    b"for",
    b"from",
    b"further",
    b"had",
    b"has",
    b"have",
    b"having",
    b"he",
    b"her",
    b"here",
    b"hers",
    b"him",
    b"his",
    b"how",
    b"if",
    b"in",
    b"into",
    b"is",
    b"it",
    b"its",
    b"itself",
    b"me",
    b"more",
    b"most",
    b"my",
    b"no",
    b"nor",
    b"not",
    b"of",
    b"off",
    b"on",
    b"once",
    b"only",
    b"or",
    b"other",
    b"our",
    b"out",
    b"over",
    b"own",
    b"same",
    b"she",
    b"should",
    b"so",
    b"some",
    b"such",
    b"than",
    b"that",
    b"the",
    b"their",
    b"them",
    b"then",
    b"there",
    b"these",
    b"they",
    b"this",
    b"those",
    b"through",
    b"to",
    b"too",
    b"under",
    b"until",
    b"up",
    b"very",
    b"was",
    b"we",
    b"were",
    b"what",
    b"when",
    b"where",
    b"which",
    b"while",
    b"who",
    b"whom",
    b"why",
    b"will",
    b"with",
    b"would",
    b"you",
    b"your",
    b"yours",
    b"yourself",
];

/// The stop words packed big-endian into u64: sorted like the (sorted) words themselves.
const STOP_KEYS: [u64; 115] = {
    let mut keys = [0u64; 115];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let w = STOP_WORDS[i];
        let mut j = 0;
        while j < w.len() {
            keys[i] |= (w[j] as u64) << (56 - 8 * j);
            j += 1;
        }
        i += 1;
    }
    keys
};

const STOP_BLOOM: [u64; 8] = {
    let mut bloom = [0u64; 8];
    let mut i = 0;
    while i < STOP_KEYS.len() {
        let bit = bloom_bit(STOP_KEYS[i]);
        bloom[bit / 64] |= 1 << (bit % 64);
        i += 1;
    }
    bloom
};

#[cfg(test)]
fn is_stop_word(w: &[u8]) -> bool {
    let mut h = WordHasher::new();
    w.iter().for_each(|b| h.push(*b));
    w.len() <= STOP_WORD_MAX_BYTES && is_stop_key(h.packed)
}

/// Smoothed IDF over the rows `docs`; terms in more than half of them get 0 (dropped), as do
/// terms never seen there.
pub fn fit_idf(rows: &SparseRows, docs: &[usize]) -> Vec<f32> {
    let mut df = vec![0u32; N_FEATURES];
    for &d in docs {
        for id in rows.row(d).0 {
            df[*id as usize] += 1;
        }
    }
    let n = docs.len() as f64;
    df.iter()
        .map(|&d| {
            if d == 0 || f64::from(d) > 0.5 * n {
                0.0
            } else {
                (((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0) as f32
            }
        })
        .collect()
}

/// Sublinear tf × idf, L2-normalised, of the rows `docs` (in that order).
pub fn tfidf(rows: &SparseRows, docs: &[usize], idf: &[f32]) -> SparseRows {
    let mut out = SparseRows::default();
    for &d in docs {
        let start = out.ids.len();
        let (ids, counts) = rows.row(d);
        for (&id, &tf) in ids.iter().zip(counts) {
            let w = idf[id as usize];
            if w > 0.0 {
                out.ids.push(id);
                // Most titles use a word once: skip the logarithm then.
                out.vals
                    .push(if tf == 1.0 { w } else { (1.0 + tf.ln()) * w });
            }
        }
        let vals = &mut out.vals[start..];
        let norm = vals.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            vals.iter_mut().for_each(|v| *v /= norm);
        }
        out.end_row();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Vec<(u32, f32)> {
        let rows = term_counts(&[text]);
        let (ids, vals) = rows.row(0);
        ids.iter().copied().zip(vals.iter().copied()).collect()
    }

    #[test]
    fn words_need_two_chars_and_stop_words_go() {
        assert!(is_stop_word(b"the") && is_stop_word(b"yourself") && !is_stop_word(b"livre"));
        assert!(!is_stop_word(b"th") && !is_stop_word(b"yourselves"));
        // "a" and "l" are too short, "the" is a stop word; "livre" and "été" remain.
        assert_eq!(one("a The Livre, l'été!").len(), 2);
        assert_eq!(one("Livre livre LIVRE"), vec![(one("livre")[0].0, 3.0)]);
        assert_eq!(one("Été"), one("été"));
    }

    #[test]
    fn stop_list_is_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_KEYS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tfidf_is_unit_length_and_drops_common_terms() {
        let rows = term_counts(&["chat noir", "chat blanc", "chat gris"]);
        let idf = fit_idf(&rows, &[0, 1, 2]);
        let v = tfidf(&rows, &[0], &idf);
        let (ids, vals) = v.row(0);
        assert_eq!(ids.len(), 1, "`chat` is in every document");
        assert!((vals[0] - 1.0).abs() < 1e-6);
    }
}
