//! Sparse features of prepared text: TF-IDF over a word n-gram vocabulary (the baseline), or TF-IDF over
//! hashed word n-grams, character n-grams and sub-word pieces (the default).

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::prepare::{Prepared, words};
use crate::subword::SubwordTokenizer;

/// How text becomes features; saved in config.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureSpec {
    /// Like scikit-learn's `TfidfVectorizer(ngram_range=(1, word_ngram_max))`: words of two or more characters,
    /// the `vocabulary` holds the most frequent n-grams of the training corpus.
    Vocabulary {
        word_ngram_max: usize,
        vocabulary: Vec<String>,
    },
    /// Word n-grams, character n-grams within word boundaries and optional sub-word pieces, hashed into
    /// `buckets`, plus (with `title_words`) the designation's word n-grams as a family of their own; each family
    /// is L2-normalised on its own. Text beyond `max_chars` is ignored.
    Hashed {
        #[serde(default)]
        title_words: bool,
        buckets: u32,
        word_ngram_max: usize,
        char_ngram_min: usize,
        char_ngram_max: usize,
        subwords: bool,
        max_chars: usize,
        /// Characters given to the sub-word tokenizer (its cost per character is ten times the n-grams').
        #[serde(default = "default_subword_chars")]
        subword_max_chars: usize,
        /// Term frequency as `1 + ln(tf)` rather than `tf`.
        #[serde(default)]
        sublinear_tf: bool,
    },
}

/// A sparse vector: feature ids (possibly repeated) and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub ids: Vec<u32>,
    pub values: Vec<f32>,
}

/// A fitted featurizer: spec, inverse document frequencies and, for hashed features, the sub-word tokenizer.
#[derive(Debug, Clone)]
pub struct Featurizer {
    spec: FeatureSpec,
    idf: Vec<f32>,
    index: HashMap<String, u32>,
    tokenizer: Option<SubwordTokenizer>,
}

impl Featurizer {
    /// Keeps the `max_features` most frequent word n-grams of the corpus (ties broken alphabetically).
    pub fn fit_vocabulary(
        prepared: &[Prepared],
        word_ngram_max: usize,
        max_features: usize,
    ) -> Self {
        let mut stats: HashMap<String, (u64, u32)> = HashMap::new();
        for text in prepared.iter().map(|p| p.text.as_str()) {
            let mut seen: Vec<String> = Vec::new();
            for_each_word_ngram(text, word_ngram_max, |gram| seen.push(gram.to_string()));
            seen.sort_unstable();
            let mut i = 0;
            while i < seen.len() {
                let j = i + seen[i..].iter().take_while(|g| **g == seen[i]).count();
                let entry = stats.entry(seen[i].clone()).or_default();
                entry.0 += (j - i) as u64;
                entry.1 += 1;
                i = j;
            }
        }
        let mut ranked: Vec<_> = stats.into_iter().collect();
        ranked.sort_unstable_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(max_features);
        ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let n = prepared.len() as f32;
        let idf = ranked
            .iter()
            .map(|(_, (_, df))| smooth_idf(n, *df as f32))
            .collect();
        let vocabulary: Vec<String> = ranked.into_iter().map(|(g, _)| g).collect();
        Self::from_parts(
            FeatureSpec::Vocabulary {
                word_ngram_max,
                vocabulary,
            },
            idf,
            None,
        )
    }

    /// Computes the inverse document frequency of every bucket of a hashed spec.
    pub fn fit_hashed(
        prepared: &[Prepared],
        spec: FeatureSpec,
        tokenizer: Option<SubwordTokenizer>,
    ) -> Result<Self, ModelError> {
        Ok(Self::fit_transform_hashed(prepared, spec, tokenizer)?.0)
    }

    /// [`Featurizer::fit_hashed`], also returning the features of `prepared` (as [`Featurizer::transform`] gives
    /// them): each text is read once, where fitting and then transforming read the training texts twice.
    pub fn fit_transform_hashed(
        prepared: &[Prepared],
        spec: FeatureSpec,
        tokenizer: Option<SubwordTokenizer>,
    ) -> Result<(Self, Vec<SparseVec>), ModelError> {
        Self::fit_transform_hashed_with(prepared, spec, || Ok(tokenizer))
    }

    /// [`Featurizer::fit_transform_hashed`] with a tokenizer still to be trained by `tokenizer`, which runs
    /// beside the counting of every family but the sub-words (training it is sequential: a fifth of the sample's
    /// training time was spent waiting for it on one core).
    pub fn fit_transform_hashed_with(
        prepared: &[Prepared],
        spec: FeatureSpec,
        tokenizer: impl FnOnce() -> Result<Option<SubwordTokenizer>, ModelError> + Send,
    ) -> Result<(Self, Vec<SparseVec>), ModelError> {
        let before = Self::from_parts(spec.clone(), Vec::new(), None);
        // Raw counts first, as the features' values (tf-idf needs every document's counts), with where each
        // family ends; then weighed in place, so the peak is the features themselves.
        let (tokenizer, mut counted) =
            rayon::join(tokenizer, || -> Vec<(SparseVec, Vec<usize>)> {
                prepared
                    .par_iter()
                    .map(|t| raw_counts(before.counts_before_subwords(t)))
                    .collect()
            });
        let mut this = Self::from_parts(spec, Vec::new(), tokenizer?);
        let dim = this.dim();
        counted.par_iter_mut().zip(prepared).try_for_each(
            |((v, ends), t)| -> Result<(), ModelError> {
                if let Some(group) = this.subword_counts(t)? {
                    push_family(v, ends, group);
                }
                Ok(())
            },
        )?;
        // Within a family an id occurs once; families may share a bucket, and a document counts once per id.
        let mut df = vec![0u32; dim];
        let mut last_doc = vec![u32::MAX; dim];
        for (doc, (v, _)) in counted.iter().enumerate() {
            for &id in &v.ids {
                let id = id as usize;
                if last_doc[id] != doc as u32 {
                    last_doc[id] = doc as u32;
                    df[id] += 1;
                }
            }
        }
        let n = prepared.len() as f32;
        this.idf = df.iter().map(|&d| smooth_idf(n, d as f32)).collect();
        counted
            .par_iter_mut()
            .for_each(|(v, ends)| this.weigh(v, ends));
        Ok((this, counted.into_iter().map(|(v, _)| v).collect()))
    }

    /// Rebuilds a fitted featurizer from saved parts.
    pub fn from_parts(
        spec: FeatureSpec,
        idf: Vec<f32>,
        tokenizer: Option<SubwordTokenizer>,
    ) -> Self {
        let index = match &spec {
            FeatureSpec::Vocabulary { vocabulary, .. } => vocabulary
                .iter()
                .enumerate()
                .map(|(i, g)| (g.clone(), i as u32))
                .collect(),
            FeatureSpec::Hashed { .. } => HashMap::new(),
        };
        Self {
            spec,
            idf,
            index,
            tokenizer,
        }
    }

    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    pub fn tokenizer(&self) -> Option<&SubwordTokenizer> {
        self.tokenizer.as_ref()
    }

    /// Number of distinct feature ids.
    pub fn dim(&self) -> usize {
        match &self.spec {
            FeatureSpec::Vocabulary { vocabulary, .. } => vocabulary.len(),
            FeatureSpec::Hashed { buckets, .. } => *buckets as usize,
        }
    }

    /// TF-IDF features of prepared text.
    pub fn transform(&self, prepared: &Prepared) -> Result<SparseVec, ModelError> {
        let (mut v, ends) = raw_counts(self.counts(prepared)?);
        self.weigh(&mut v, &ends);
        Ok(v)
    }

    /// Turns raw counts (families ending at `ends`) into TF-IDF, each family L2-normalised.
    fn weigh(&self, v: &mut SparseVec, ends: &[usize]) {
        let sublinear = matches!(
            self.spec,
            FeatureSpec::Hashed {
                sublinear_tf: true,
                ..
            }
        );
        let mut start = 0;
        for &end in ends {
            let family = &mut v.values[start..end];
            for (value, &id) in family.iter_mut().zip(&v.ids[start..end]) {
                let tf = if sublinear { 1.0 + value.ln() } else { *value };
                *value = tf * self.idf.get(id as usize).copied().unwrap_or(1.0);
            }
            let norm = family.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                family.iter_mut().for_each(|v| *v /= norm);
            }
            start = end;
        }
    }

    /// Term counts per feature family, as (id, count) pairs in order of first occurrence.
    fn counts(&self, prepared: &Prepared) -> Result<Vec<Vec<(u32, u32)>>, ModelError> {
        let mut groups = self.counts_before_subwords(prepared);
        if let Some(group) = self.subword_counts(prepared)? {
            groups.push(group);
        }
        Ok(groups)
    }

    /// The sub-word family's counts, when the spec has one and a tokenizer is fitted.
    fn subword_counts(&self, prepared: &Prepared) -> Result<Option<Vec<(u32, u32)>>, ModelError> {
        let FeatureSpec::Hashed {
            subwords: true,
            max_chars,
            subword_max_chars,
            ..
        } = &self.spec
        else {
            return Ok(None);
        };
        let Some(tokenizer) = &self.tokenizer else {
            return Ok(None);
        };
        let text = truncate_chars(&prepared.text, *max_chars);
        let bucket = self.bucket();
        let ids = tokenizer
            .ids(truncate_chars(text, *subword_max_chars))?
            .into_iter()
            .map(|id| {
                let mut h = Fnv::new(200);
                h.write(&id.to_le_bytes());
                bucket(h.finish())
            })
            .collect();
        Ok(Some(count_ids(ids, self.dim())))
    }

    /// A hash's bucket: the same ids as `h % buckets`, by a mask where that is exact (a 64-bit division per
    /// n-gram showed).
    fn bucket(&self) -> impl Fn(u64) -> u32 + use<> {
        let buckets = u64::try_from(self.dim()).unwrap_or(u64::MAX).max(1);
        let (power_of_two, mask) = (buckets.is_power_of_two(), buckets.wrapping_sub(1));
        move |h: u64| {
            if power_of_two {
                (h & mask) as u32
            } else {
                (h % buckets) as u32
            }
        }
    }

    /// Every family but the sub-words (which need the tokenizer).
    fn counts_before_subwords(&self, prepared: &Prepared) -> Vec<Vec<(u32, u32)>> {
        let dim = self.dim();
        match &self.spec {
            FeatureSpec::Vocabulary { word_ngram_max, .. } => {
                let mut ids = Vec::new();
                for_each_word_ngram(&prepared.text, *word_ngram_max, |gram| {
                    if let Some(&id) = self.index.get(gram) {
                        ids.push(id);
                    }
                });
                vec![count_ids(ids, dim)]
            }
            FeatureSpec::Hashed {
                title_words,
                word_ngram_max,
                char_ngram_min,
                char_ngram_max,
                max_chars,
                ..
            } => {
                let text = truncate_chars(&prepared.text, *max_chars);
                let bucket = self.bucket();
                let mut word_ids = Vec::new();
                let mut char_ids = Vec::new();
                let mut padded: Vec<u8> = Vec::with_capacity(64);
                let mut bounds: Vec<usize> = Vec::with_capacity(64);
                let mut history: Vec<&str> = Vec::with_capacity(*word_ngram_max);
                for word in words(text) {
                    history.push(word);
                    if history.len() > *word_ngram_max {
                        history.remove(0);
                    }
                    for n in 1..=history.len() {
                        let mut h = Fnv::new(n as u8);
                        for w in &history[history.len() - n..] {
                            h.write(w.as_bytes());
                            h.write(b" ");
                        }
                        word_ids.push(bucket(h.finish()));
                    }
                    padded.clear();
                    padded.push(b' ');
                    padded.extend_from_slice(word.as_bytes());
                    padded.push(b' ');
                    bounds.clear();
                    bounds.extend((0..padded.len()).filter(|&i| padded[i] & 0xC0 != 0x80));
                    bounds.push(padded.len());
                    let chars = bounds.len() - 1;
                    for n in *char_ngram_min..=(*char_ngram_max).min(chars) {
                        for s in 0..=chars - n {
                            let mut h = Fnv::new(100 + n as u8);
                            h.write(&padded[bounds[s]..bounds[s + n]]);
                            char_ids.push(bucket(h.finish()));
                        }
                    }
                }
                let mut groups = vec![count_ids(word_ids, dim), count_ids(char_ids, dim)];
                if *title_words {
                    let title = prepared.text.get(..prepared.title_end).unwrap_or_default();
                    let mut ids = Vec::new();
                    let mut previous: Option<&str> = None;
                    for word in words(title) {
                        let mut h = Fnv::new(50);
                        h.write(word.as_bytes());
                        ids.push(bucket(h.finish()));
                        if let Some(p) = previous {
                            let mut h = Fnv::new(51);
                            h.write(p.as_bytes());
                            h.write(b" ");
                            h.write(word.as_bytes());
                            ids.push(bucket(h.finish()));
                        }
                        previous = Some(word);
                    }
                    groups.push(count_ids(ids, dim));
                }
                groups
            }
        }
    }
}

/// Counts per family as one vector (values are the counts) and where each family ends in it.
fn raw_counts(groups: Vec<Vec<(u32, u32)>>) -> (SparseVec, Vec<usize>) {
    let len = groups.iter().map(Vec::len).sum();
    let mut v = SparseVec {
        ids: Vec::with_capacity(len),
        values: Vec::with_capacity(len),
    };
    let mut ends = Vec::with_capacity(groups.len() + 1);
    for group in groups {
        push_family(&mut v, &mut ends, group);
    }
    (v, ends)
}

/// Appends one family's counts to [`raw_counts`]'s vector.
fn push_family(v: &mut SparseVec, ends: &mut Vec<usize>, group: Vec<(u32, u32)>) {
    for (id, n) in group {
        v.ids.push(id);
        v.values.push(n as f32);
    }
    ends.push(v.ids.len());
}

fn default_subword_chars() -> usize {
    usize::MAX
}

fn smooth_idf(n: f32, df: f32) -> f32 {
    ((1.0 + n) / (1.0 + df)).ln() + 1.0
}

thread_local! {
    /// Per-thread occurrence counters, one per feature id, all zero between calls.
    static COUNTERS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// (id, occurrences) pairs in order of first occurrence. Counting in a dense per-thread array is linear; sorting
/// the thousands of ids of a long text was the largest cost of a prediction.
fn count_ids(ids: Vec<u32>, dim: usize) -> Vec<(u32, u32)> {
    COUNTERS.with(|counters| {
        let mut counters = counters.borrow_mut();
        if counters.len() < dim {
            counters.resize(dim, 0);
        }
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(ids.len() / 2);
        for id in ids.into_iter().filter(|&id| (id as usize) < dim) {
            let count = &mut counters[id as usize];
            if *count == 0 {
                out.push((id, 0));
            }
            *count += 1;
        }
        for (id, n) in &mut out {
            *n = std::mem::take(&mut counters[*id as usize]);
        }
        out
    })
}

pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> &str {
    text.char_indices()
        .nth(max_chars)
        .map_or(text, |(i, _)| &text[..i])
}

/// Word n-grams (1..=max) over words of two or more characters, as scikit-learn's default token pattern.
fn for_each_word_ngram(text: &str, max: usize, mut f: impl FnMut(&str)) {
    let tokens: Vec<&str> = words(text).filter(|w| w.chars().nth(1).is_some()).collect();
    let mut buf = String::new();
    for n in 1..=max {
        for window in tokens.windows(n) {
            buf.clear();
            for (i, w) in window.iter().enumerate() {
                if i > 0 {
                    buf.push(' ');
                }
                buf.push_str(w);
            }
            f(&buf);
        }
    }
}

/// FNV-1a, seeded by a namespace byte so that families and n-gram orders hash apart; stable across platforms.
struct Fnv(u64);

impl Fnv {
    fn new(namespace: u8) -> Self {
        let mut h = Self(0xcbf2_9ce4_8422_2325);
        h.write(&[namespace]);
        h
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        // FNV's low bits mix poorly; fold the high half in before taking a modulus.
        self.0 ^ (self.0 >> 29)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs() -> Vec<Prepared> {
        ["le petit chat", "le grand chien", "le chat noir"]
            .map(Prepared::from)
            .to_vec()
    }

    #[test]
    fn vocabulary_matches_tfidf_definition() {
        let f = Featurizer::fit_vocabulary(&docs(), 2, 2);
        let FeatureSpec::Vocabulary { vocabulary, .. } = f.spec() else {
            panic!("vocabulary spec expected")
        };
        assert_eq!(vocabulary, &["chat", "le"]);
        // tf(chat) = 1, idf(chat) = ln(4/3) + 1; tf(le) = 2, idf(le) = ln(4/4) + 1 = 1; then L2.
        let v = f.transform(&"le chat le".into()).unwrap();
        let (a, b) = ((4.0f32 / 3.0).ln() + 1.0, 2.0f32);
        let norm = (a * a + b * b).sqrt();
        assert_eq!(v.ids, [1, 0], "in order of first occurrence");
        for (got, want) in v.values.iter().zip([b / norm, a / norm]) {
            assert!((got - want).abs() < 1e-6);
        }
    }

    #[test]
    fn counting_keeps_first_occurrence_order() {
        let mut rng = 12345u64;
        let ids: Vec<u32> = (0..5000)
            .map(|_| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((rng >> 33) % 3000) as u32
            })
            .collect();
        let mut expected: Vec<(u32, u32)> = Vec::new();
        for &id in &ids {
            match expected.iter_mut().find(|(e, _)| *e == id) {
                Some((_, n)) => *n += 1,
                None => expected.push((id, 1)),
            }
        }
        assert_eq!(count_ids(ids.clone(), 3000), expected);
        assert_eq!(
            count_ids(ids, 3000),
            expected,
            "counters are reset between calls"
        );
        assert_eq!(
            count_ids(vec![3, 1, 3, 99], 10),
            [(3, 2), (1, 1)],
            "out-of-range ids are ignored"
        );
    }

    fn small_spec(buckets: u32, subwords: bool) -> FeatureSpec {
        FeatureSpec::Hashed {
            title_words: true,
            buckets,
            word_ngram_max: 2,
            char_ngram_min: 2,
            char_ngram_max: 4,
            subwords,
            max_chars: 1000,
            subword_max_chars: 100,
            sublinear_tf: true,
        }
    }

    #[test]
    fn fitting_returns_what_transform_gives() {
        let mut texts = docs();
        texts.push(crate::prepare::prepare("Chat chat", "le chat noir noir"));
        texts.push("".into());
        let raw: Vec<&str> = texts.iter().map(|t| t.text.as_str()).collect();
        // 1000 is not a power of two: the modulus path; 4096 the mask; with sub-words, the tokenizer trained
        // beside the counting of the other families.
        for (buckets, subwords) in [
            (1000, false),
            (1 << 12, false),
            (1000, true),
            (1 << 12, true),
        ] {
            let spec = small_spec(buckets, subwords);
            let tokenizer = || Ok(subwords.then(|| SubwordTokenizer::train(&raw, 60).unwrap()));
            let (f, features) =
                Featurizer::fit_transform_hashed_with(&texts, spec, tokenizer).unwrap();
            assert_eq!(f.tokenizer().is_some(), subwords);
            assert_eq!(features.len(), texts.len());
            // Words, characters, title words, and the sub-words when asked: each family unit norm.
            let families: f32 = features[3].values.iter().map(|x| x * x).sum();
            let expected = if subwords { 4.0 } else { 3.0 };
            assert!((families - expected).abs() < 1e-4, "{families}");
            for (text, got) in texts.iter().zip(&features) {
                assert_eq!(got, &f.transform(text).unwrap(), "{text:?}");
                assert!(got.ids.iter().all(|&id| id < buckets));
            }
            // Document frequency by its definition: the documents whose features hold the id, once each.
            for id in 0..buckets {
                let df = features.iter().filter(|v| v.ids.contains(&id)).count();
                assert_eq!(f.idf()[id as usize], smooth_idf(5.0, df as f32), "{id}");
            }
        }
    }

    #[test]
    fn hashed_groups_are_unit_norm_and_stable() {
        let f = Featurizer::fit_hashed(&docs(), small_spec(1 << 12, false), None).unwrap();
        let v = f.transform(&"le chat noir".into()).unwrap();
        let total: f32 = v.values.iter().map(|x| x * x).sum();
        assert!(
            (total - 2.0).abs() < 1e-5,
            "two families, each unit norm: {total}"
        );
        assert_eq!(f.transform(&"le chat noir".into()).unwrap(), v);
        assert!(f.transform(&"".into()).unwrap().ids.is_empty());
        let titled = f
            .transform(&crate::prepare::prepare("Chat", "noir"))
            .unwrap();
        let total: f32 = titled.values.iter().map(|x| x * x).sum();
        assert!(
            (total - 3.0).abs() < 1e-5,
            "title words are a third family: {total}"
        );
    }
}
