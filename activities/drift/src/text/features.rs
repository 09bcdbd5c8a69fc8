//! Text to sparse TF-IDF vectors: scikit-learn's word pattern (`\b\w\w+\b`, lower-cased), English
//! stop words, words hashed into a fixed number of features, sublinear tf, smoothed idf with
//! `max_df = 0.5`, L2 norm.

/// Number of hashed features (2^18): the weights stay in the CPU cache.
pub const HASH_BITS: u32 = 18;
pub const N_FEATURES: usize = 1 << HASH_BITS;

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;
/// The longest stop word has 7 bytes; longer words skip the lookup.
const STOP_WORD_MAX_BYTES: usize = 8;

/// Distinct hashed words of one text with their counts, sorted by feature id.
pub type TermCounts = Vec<(u32, f32)>;

/// A sparse, L2-normalised TF-IDF vector.
pub type SparseVector = Vec<(u32, f32)>;

/// Hashes the words of `text` and counts them.
pub fn term_counts(text: &str) -> TermCounts {
    let mut ids = Vec::with_capacity(text.len() / 6 + 1);
    let mut word = WordHasher::new();
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            let b = c as u8;
            if b.is_ascii_alphanumeric() || b == b'_' {
                word.push(b.to_ascii_lowercase());
                word.chars += 1;
            } else {
                word.finish(&mut ids);
            }
        } else if c.is_alphanumeric() {
            for lc in c.to_lowercase() {
                for b in lc.encode_utf8(&mut utf8).bytes() {
                    word.push(b);
                }
            }
            word.chars += 1;
        } else {
            word.finish(&mut ids);
        }
    }
    word.finish(&mut ids);
    ids.sort_unstable();
    let mut out: TermCounts = Vec::with_capacity(ids.len());
    for id in ids {
        match out.last_mut() {
            Some((last, n)) if *last == id => *n += 1.0,
            _ => out.push((id, 1.0)),
        }
    }
    out
}

/// FNV-1a over the lower-cased bytes of the current word (stable across runs and platforms).
struct WordHasher {
    hash: u64,
    bytes: usize,
    chars: usize,
    head: [u8; STOP_WORD_MAX_BYTES],
}

impl WordHasher {
    fn new() -> Self {
        Self {
            hash: FNV_OFFSET,
            bytes: 0,
            chars: 0,
            head: [0; STOP_WORD_MAX_BYTES],
        }
    }

    fn push(&mut self, b: u8) {
        self.hash = (self.hash ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        if self.bytes < STOP_WORD_MAX_BYTES {
            self.head[self.bytes] = b;
        }
        self.bytes += 1;
    }

    fn finish(&mut self, out: &mut Vec<u32>) {
        if self.chars >= 2 {
            let stop = self.bytes <= STOP_WORD_MAX_BYTES && is_stop_word(&self.head[..self.bytes]);
            if !stop {
                out.push((self.hash >> (64 - HASH_BITS)) as u32);
            }
        }
        *self = Self::new();
    }
}

fn is_stop_word(w: &[u8]) -> bool {
    const STOP: &[&[u8]] = &[
        b"about", b"above", b"after", b"again", b"against", b"all", b"also", b"am", b"an", b"and",
        b"any", b"are", b"as", b"at", b"be", b"because", b"been", b"before", b"being", b"below",
        b"between", b"both", b"but", b"by", b"can", b"could", b"did", b"do", b"does", b"doing",
        b"down", b"during", b"each", b"few", b"for", b"from", b"further", b"had", b"has", b"have",
        b"having", b"he", b"her", b"here", b"hers", b"him", b"his", b"how", b"if", b"in", b"into",
        b"is", b"it", b"its", b"itself", b"me", b"more", b"most", b"my", b"no", b"nor", b"not",
        b"of", b"off", b"on", b"once", b"only", b"or", b"other", b"our", b"out", b"over", b"own",
        b"same", b"she", b"should", b"so", b"some", b"such", b"than", b"that", b"the", b"their",
        b"them", b"then", b"there", b"these", b"they", b"this", b"those", b"through", b"to",
        b"too", b"under", b"until", b"up", b"very", b"was", b"we", b"were", b"what", b"when",
        b"where", b"which", b"while", b"who", b"whom", b"why", b"will", b"with", b"would", b"you",
        b"your",
    ];
    STOP.binary_search(&w).is_ok()
}

/// Smoothed IDF over the training documents; terms in more than half of them get 0 (dropped),
/// as do terms never seen in training.
pub fn fit_idf<'a>(train: impl Iterator<Item = &'a TermCounts>) -> Vec<f32> {
    let mut df = vec![0u32; N_FEATURES];
    let mut n = 0usize;
    for doc in train {
        n += 1;
        for (id, _) in doc {
            df[*id as usize] += 1;
        }
    }
    let n = n as f64;
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

/// Sublinear tf × idf, L2-normalised.
pub fn tfidf(doc: &TermCounts, idf: &[f32]) -> SparseVector {
    let mut out: SparseVector = doc
        .iter()
        .filter_map(|&(id, tf)| {
            let w = idf[id as usize];
            (w > 0.0).then(|| (id, (1.0 + tf.ln()) * w))
        })
        .collect();
    let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_need_two_chars_and_stop_words_go() {
        assert!(is_stop_word(b"the") && is_stop_word(b"your") && !is_stop_word(b"livre"));
        // "a" is too short, "the" a stop word; "livre" and "été" remain, "l" is too short.
        assert_eq!(term_counts("a The Livre, l'été!").len(), 2);
        assert_eq!(
            term_counts("Livre livre LIVRE"),
            vec![(term_counts("livre")[0].0, 3.0)]
        );
        assert_eq!(term_counts("Été"), term_counts("été"));
    }

    #[test]
    fn stop_list_is_sorted() {
        let words = ["about", "your", "between"];
        assert!(words.iter().all(|w| is_stop_word(w.as_bytes())));
    }

    #[test]
    fn tfidf_is_unit_length_and_drops_common_terms() {
        let docs: Vec<TermCounts> = ["chat noir", "chat blanc", "chat gris"]
            .iter()
            .map(|t| term_counts(t))
            .collect();
        let idf = fit_idf(docs.iter());
        let v = tfidf(&docs[0], &idf);
        assert_eq!(v.len(), 1, "`chat` is in every document");
        assert!((v[0].1 - 1.0).abs() < 1e-6);
    }
}
