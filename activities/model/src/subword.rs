//! The sub-word vocabulary: a BPE tokenizer trained on the prepared training corpus (no download), saved as
//! `tokenizer.json` beside the model.
//!
//! Words are marked SentencePiece-style (`▁word`) rather than WordPiece-style (`##piece`): the tokenizers
//! crate numbers `##` pieces in hash-map order, so WordPiece training breaks ties differently from run to run;
//! BPE over a `▁`-marked corpus is deterministic (tested below), and keeps word starts apart from word middles.

use std::path::Path;
use std::sync::Arc;

use tokenizers::models::bpe::{BPE, BpeTrainer};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{
    AddedToken, DecoderWrapper, Model, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerImpl,
};

use crate::error::ModelError;

const UNKNOWN: &str = "[UNK]";

/// Bytes the word cache may hold (words, their ids and the entries' overhead, as [`WordWeight`] counts them);
/// past it the least useful words are evicted (quick_cache's CLOCK-Pro: a stream of one-off words does not
/// flush the words that keep coming back).
const WORD_CACHE_BYTES: u64 = 32 << 20;
/// Words expected in the cache (sizes its tables).
const WORD_CACHE_WORDS: usize = 100_000;
/// Only words of at most this many bytes are kept: a longer "word" (a URL, a reference, a 20,000-character
/// attack) is tokenized each time and never displaces the real vocabulary.
const WORD_CACHE_MAX_WORD_BYTES: usize = 48;
/// What one cache entry costs beyond its text and ids: the boxes' headers and the table's slot.
const WORD_ENTRY_OVERHEAD: u64 = 64;

/// Each word seen, with its sub-word ids, bounded in bytes.
type WordIds = quick_cache::sync::Cache<Box<str>, Arc<[u32]>, WordWeight>;

/// The bytes a cached word costs: its text, its ids and [`WORD_ENTRY_OVERHEAD`].
#[derive(Clone, Copy)]
struct WordWeight;

impl quick_cache::Weighter<Box<str>, Arc<[u32]>> for WordWeight {
    fn weight(&self, word: &Box<str>, ids: &Arc<[u32]>) -> u64 {
        word.len() as u64 + 4 * ids.len() as u64 + WORD_ENTRY_OVERHEAD
    }
}

fn word_cache(bytes: u64) -> Arc<WordIds> {
    Arc::new(WordIds::with_weighter(WORD_CACHE_WORDS, bytes, WordWeight))
}

/// A trained BPE tokenizer over prepared text.
#[derive(Clone)]
pub struct SubwordTokenizer {
    inner: Tokenizer,
    /// Ids of each word seen, shared by clones. Prepared text is single-spaced words, and the pre-tokenizer
    /// turns each into `▁word` on its own: the ids of a text are its words' ids in order, so a word is
    /// tokenized once, not rebuilt through the tokenizer's offsets and strings on every request.
    words: Arc<WordIds>,
    /// False when the tokenizer has a normalizer, added tokens or a post-processor: the word path could
    /// differ, so every text goes through the tokenizer whole.
    by_word: bool,
}

impl std::fmt::Debug for SubwordTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubwordTokenizer")
            .field("vocab_size", &self.inner.get_vocab_size(true))
            .finish()
    }
}

fn pre_tokenizer() -> Metaspace {
    Metaspace::new('▁', PrependScheme::Always, true)
}

fn tok_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Tokenizer(e.to_string())
}

impl SubwordTokenizer {
    /// Trains a BPE vocabulary of at most `vocab_size` pieces on already prepared texts.
    pub fn train(prepared: &[&str], vocab_size: usize) -> Result<Self, ModelError> {
        let model = BPE::builder()
            .unk_token(UNKNOWN.to_string())
            .build()
            .map_err(tok_err)?;
        let mut trainer = BpeTrainer::builder()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .special_tokens(vec![AddedToken::from(UNKNOWN, true)])
            .build();
        let mut tokenizer: TokenizerImpl<
            BPE,
            NormalizerWrapper,
            Metaspace,
            PostProcessorWrapper,
            DecoderWrapper,
        > = TokenizerImpl::new(model);
        tokenizer.with_pre_tokenizer(Some(pre_tokenizer()));
        tokenizer
            .train(&mut trainer, prepared.iter())
            .map_err(tok_err)?;
        let mut inner = Tokenizer::new(tokenizer.get_model().clone());
        inner.with_pre_tokenizer(Some(pre_tokenizer()));
        Ok(Self::new(inner))
    }

    fn new(inner: Tokenizer) -> Self {
        let by_word = inner.get_normalizer().is_none()
            && inner.get_post_processor().is_none()
            && inner.get_added_tokens_decoder().is_empty()
            && matches!(inner.get_model(), ModelWrapper::BPE(_))
            && matches!(inner.get_pre_tokenizer(), Some(PreTokenizerWrapper::Metaspace(m))
                if m.get_replacement() == '▁' && m.get_split() && m.get_prepend_scheme() == PrependScheme::Always);
        Self {
            inner,
            words: word_cache(WORD_CACHE_BYTES),
            by_word,
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        self.inner.save(path, false).map_err(tok_err)
    }

    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let inner = Tokenizer::from_file(path)
            .map_err(|e| ModelError::artifact(path, format!("cannot read tokenizer: {e}")))?;
        Ok(Self::new(inner))
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_model().get_vocab_size()
    }

    /// Sub-word ids of prepared text: the same ids as the whole tokenizer gives ([`Self::ids_whole`]).
    pub fn ids(&self, prepared: &str) -> Result<Vec<u32>, ModelError> {
        // The word path holds for single-spaced words without the marker (what `prepare` makes).
        if !self.by_word
            || prepared.is_empty()
            || prepared.starts_with(' ')
            || prepared.ends_with(' ')
            || prepared.contains("  ")
            || prepared.contains('▁')
        {
            return self.ids_whole(prepared);
        }
        let mut ids = Vec::with_capacity(prepared.len() / 3);
        let mut missing: Vec<(usize, &str)> = Vec::new();
        for word in prepared.split(' ') {
            match self.words.get(word) {
                Some(known) => ids.extend_from_slice(&known),
                None => missing.push((ids.len(), word)),
            }
        }
        if missing.is_empty() {
            return Ok(ids);
        }
        // Tokenize the new words, splice their ids in place (from the back, so earlier positions hold).
        let model = self.inner.get_model();
        let mut marked = String::new();
        let mut learned = Vec::with_capacity(missing.len());
        for &(_, word) in &missing {
            marked.clear();
            marked.push('▁');
            marked.push_str(word);
            let word_ids: Arc<[u32]> = model
                .tokenize(&marked)
                .map_err(tok_err)?
                .into_iter()
                .map(|t| t.id)
                .collect();
            learned.push(word_ids);
        }
        for (&(at, _), word_ids) in missing.iter().zip(&learned).rev() {
            ids.splice(at..at, word_ids.iter().copied());
        }
        for (&(_, word), word_ids) in missing.iter().zip(learned) {
            if word.len() <= WORD_CACHE_MAX_WORD_BYTES {
                self.words.insert(word.into(), word_ids);
            }
        }
        Ok(ids)
    }

    /// Sub-word ids through the whole tokenizer (pre-tokenizer, model, encoding).
    pub fn ids_whole(&self, prepared: &str) -> Result<Vec<u32>, ModelError> {
        let encoding = self.inner.encode_fast(prepared, false).map_err(tok_err)?;
        Ok(encoding.get_ids().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 300 pool-product titles, each followed by `tail(i)`.
    fn pool_corpus(tail: impl Fn(usize) -> String) -> Vec<String> {
        (0..300)
            .map(|i| {
                format!(
                    "piscine{} filtre pompe{} bache spa{}{}",
                    i % 7,
                    i % 11,
                    i % 13,
                    tail(i)
                )
            })
            .collect()
    }

    #[test]
    fn training_is_deterministic() {
        let corpus = pool_corpus(|i| format!(" jouet enfant{}", i % 3));
        let corpus: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let a = SubwordTokenizer::train(&corpus, 120).unwrap();
        let b = SubwordTokenizer::train(&corpus, 120).unwrap();
        let mut va: Vec<_> = a.inner.get_vocab(true).into_iter().collect();
        let mut vb: Vec<_> = b.inner.get_vocab(true).into_iter().collect();
        va.sort();
        vb.sort();
        let (ka, kb): (Vec<_>, Vec<_>) = (
            va.iter().map(|x| &x.0).collect(),
            vb.iter().map(|x| &x.0).collect(),
        );
        assert_eq!(ka, kb, "same pieces");
        assert_eq!(va, vb, "same ids");
    }

    #[test]
    fn word_path_gives_the_whole_tokenizers_ids() {
        let corpus = pool_corpus(|_| String::new());
        let corpus: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let t = SubwordTokenizer::train(&corpus, 120).unwrap();
        assert!(t.by_word);
        let dir = tempfile::tempdir().unwrap();
        t.save(&dir.path().join("tokenizer.json")).unwrap();
        let loaded = SubwordTokenizer::load(&dir.path().join("tokenizer.json")).unwrap();
        assert!(loaded.by_word, "a saved tokenizer loads onto the word path");
        let texts = [
            "piscine3 filtre pompe4",
            "piscine3 filtre pompe4",          // every word cached now
            "pompe4 zzzz piscine3 qqq filtre", // unknown letters, cached and new words mixed
            "é ü 漢字 a",
            "bache  spa2", // two spaces, leading or trailing, and the marker: the whole tokenizer
            " bache",
            "bache ",
            "ba▁che",
            "",
            "tab\tinside word",
        ];
        for text in texts {
            assert_eq!(
                loaded.ids(text).unwrap(),
                loaded.ids_whole(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn long_words_are_tokenized_but_never_cached() {
        let corpus = pool_corpus(|_| String::new());
        let corpus: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let t = SubwordTokenizer::train(&corpus, 120).unwrap();
        for i in 0..50 {
            let long = format!("{}{i}", "piscine".repeat(40));
            let text = format!("filtre {long}");
            assert_eq!(t.ids(&text).unwrap(), t.ids_whole(&text).unwrap());
        }
        assert_eq!(t.words.len(), 1, "only the short word is kept");
    }

    #[test]
    fn the_word_cache_stays_within_its_bytes_and_keeps_serving() {
        let corpus = pool_corpus(|_| String::new());
        let corpus: Vec<&str> = corpus.iter().map(String::as_str).collect();
        let mut t = SubwordTokenizer::train(&corpus, 120).unwrap();
        let bound = 256 << 10;
        t.words = word_cache(bound);
        // 40,000 unique words of up to 48 bytes (several MB of entries) through a 256 KiB cache.
        for i in 0..40_000u32 {
            let text = format!(
                "filtre w{i}{} pompe{}",
                "x".repeat((i % 40) as usize),
                i % 11
            );
            assert_eq!(t.ids(&text).unwrap(), t.ids_whole(&text).unwrap());
            assert!(t.words.weight() <= bound, "{} > {bound}", t.words.weight());
        }
        assert!(t.words.weight() > bound / 2, "the cache is used");
        // Words that keep coming back stay cached through the stream of one-off words.
        assert!(t.words.get("filtre").is_some());
        assert!(t.words.get("pompe3").is_some());
    }
}
