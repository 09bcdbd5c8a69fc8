//! The sub-word vocabulary: a BPE tokenizer trained on the prepared training corpus (no download), saved as
//! `tokenizer.json` beside the model.
//!
//! Words are marked SentencePiece-style (`▁word`) rather than WordPiece-style (`##piece`): the tokenizers
//! crate numbers `##` pieces in hash-map order, so WordPiece training breaks ties differently from run to run;
//! BPE over a `▁`-marked corpus is deterministic (tested below), and keeps word starts apart from word middles.

use std::path::Path;

use tokenizers::models::bpe::{BPE, BpeTrainer};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{
    AddedToken, DecoderWrapper, Model, NormalizerWrapper, PostProcessorWrapper, Tokenizer,
    TokenizerImpl,
};

use crate::error::ModelError;

const UNKNOWN: &str = "[UNK]";

/// A trained BPE tokenizer over prepared text.
#[derive(Clone)]
pub struct SubwordTokenizer {
    inner: Tokenizer,
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
        Ok(Self { inner })
    }

    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        self.inner.save(path, false).map_err(tok_err)
    }

    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let inner = Tokenizer::from_file(path)
            .map_err(|e| ModelError::artifact(path, format!("cannot read tokenizer: {e}")))?;
        Ok(Self { inner })
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_model().get_vocab_size()
    }

    /// Sub-word ids of prepared text.
    pub fn ids(&self, prepared: &str) -> Result<Vec<u32>, ModelError> {
        let encoding = self.inner.encode_fast(prepared, false).map_err(tok_err)?;
        Ok(encoding.get_ids().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_is_deterministic() {
        let corpus: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "piscine{} filtre pompe{} bache spa{} jouet enfant{}",
                    i % 7,
                    i % 11,
                    i % 13,
                    i % 3
                )
            })
            .collect();
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
}
