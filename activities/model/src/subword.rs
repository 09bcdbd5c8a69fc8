//! The sub-word vocabulary: a WordPiece tokenizer trained on the prepared training corpus (no download),
//! saved as `tokenizer.json` beside the model.

use std::path::Path;

use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainer};
use tokenizers::pre_tokenizers::whitespace::Whitespace;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, NormalizerWrapper, PostProcessorWrapper, Tokenizer, TokenizerImpl,
};

use crate::error::ModelError;

const UNKNOWN: &str = "[UNK]";

/// A trained WordPiece tokenizer over prepared text.
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

fn tok_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Tokenizer(e.to_string())
}

impl SubwordTokenizer {
    /// Trains a WordPiece vocabulary of at most `vocab_size` pieces on already prepared texts.
    pub fn train(prepared: &[String], vocab_size: usize) -> Result<Self, ModelError> {
        let model = WordPiece::builder()
            .unk_token(UNKNOWN.to_string())
            .build()
            .map_err(tok_err)?;
        let mut trainer = WordPieceTrainer::builder()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .special_tokens(vec![AddedToken::from(UNKNOWN, true)])
            .build();
        let mut tokenizer: TokenizerImpl<
            WordPiece,
            NormalizerWrapper,
            Whitespace,
            PostProcessorWrapper,
            DecoderWrapper,
        > = TokenizerImpl::new(model);
        tokenizer.with_pre_tokenizer(Some(Whitespace {}));
        tokenizer
            .train(&mut trainer, prepared.iter())
            .map_err(tok_err)?;
        let mut inner = Tokenizer::new(tokenizer.get_model().clone());
        inner.with_pre_tokenizer(Some(Whitespace {}));
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
