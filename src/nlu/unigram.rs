//! A compact SentencePiece-Unigram tokenizer for multilingual-e5-small's vocabulary (120,728 pieces
//! once models/convert_e5.py has cut it to the scripts the encoder is routed).
//!
//! The `tokenizers` crate builds a byte trie of one hash map per node for a Unigram vocabulary:
//! for the full 250,002 pieces that is about 280 MB resident, more than the model itself. Here the
//! pieces live in a single hash map from piece to (id, score) (about 25 MB for the full set), and each word is segmented by
//! the same Viterbi search as `tokenizers`' optimised Unigram encoder (same scores, same
//! unknown-character penalty, same tie-breaking: shorter pieces first, a candidate replaces the
//! best path only when strictly better; consecutive unknown characters fused into one `<unk>`).
//! Normalisation (the precompiled SentencePiece charsmap) and pre-tokenisation (Metaspace) are
//! `tokenizers`' own, read from the same tokenizer.json. `tests/it/unigram_tokenizer.rs` checks the
//! ids against `tokenizers` on every held-out sentence.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{
    NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer,
};

use super::NluError;

/// SentencePiece's penalty for an unknown character, below the lowest piece score.
const UNK_PENALTY: f64 = 10.0;

#[derive(Deserialize)]
struct TokenizerFile {
    normalizer: NormalizerWrapper,
    pre_tokenizer: PreTokenizerWrapper,
    model: ModelFile,
}

#[derive(Deserialize)]
struct ModelFile {
    #[serde(rename = "type")]
    kind: String,
    unk_id: usize,
    vocab: Vec<(String, f64)>,
}

pub struct UnigramTokenizer {
    normalizer: NormalizerWrapper,
    pre_tokenizer: PreTokenizerWrapper,
    pieces: HashMap<Box<str>, (u32, f64)>,
    longest_piece: usize,
    unk_id: u32,
    unk_score: f64,
    bos_id: u32,
    eos_id: u32,
}

impl UnigramTokenizer {
    pub fn load(path: &Path) -> Result<UnigramTokenizer, NluError> {
        let invalid = |e: String| NluError::Model(format!("{}: {e}", path.display()));
        let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
        let parsed: TokenizerFile = serde_json::from_reader(std::io::BufReader::new(file))
            .map_err(|e| invalid(e.to_string()))?;
        if parsed.model.kind != "Unigram" {
            return Err(invalid(format!(
                "a {} model, not Unigram",
                parsed.model.kind
            )));
        }
        let id_of = |piece: &str| parsed.model.vocab.iter().position(|(p, _)| p == piece);
        let (Some(bos), Some(eos)) = (id_of("<s>"), id_of("</s>")) else {
            return Err(invalid("no <s> or </s> piece".into()));
        };
        let min_score = parsed
            .model
            .vocab
            .iter()
            .map(|(_, s)| *s)
            .fold(f64::INFINITY, f64::min);
        let longest_piece = parsed
            .model
            .vocab
            .iter()
            .map(|(p, _)| p.len())
            .max()
            .unwrap_or(1);
        let mut pieces = HashMap::with_capacity(parsed.model.vocab.len());
        for (id, (piece, score)) in parsed.model.vocab.into_iter().enumerate() {
            pieces.insert(piece.into_boxed_str(), (id as u32, score));
        }
        Ok(UnigramTokenizer {
            normalizer: parsed.normalizer,
            pre_tokenizer: parsed.pre_tokenizer,
            pieces,
            longest_piece,
            unk_id: parsed.model.unk_id as u32,
            unk_score: min_score - UNK_PENALTY,
            bos_id: bos as u32,
            eos_id: eos as u32,
        })
    }

    /// `<s>`, the pieces of `text` (at most `max_tokens` - 2 of them), `</s>`.
    /// Whether the vocabulary holds `word` whole, as a word's first piece.
    pub fn has_word(&self, word: &str) -> bool {
        self.pieces.contains_key(format!("\u{2581}{word}").as_str())
    }

    pub fn encode(&self, text: &str, max_tokens: usize) -> Result<Vec<u32>, NluError> {
        let failed = |e: tokenizers::Error| NluError::Inference(format!("tokenizer: {e}"));
        let mut normalized = NormalizedString::from(text);
        self.normalizer.normalize(&mut normalized).map_err(failed)?;
        let mut words = PreTokenizedString::from(normalized);
        self.pre_tokenizer
            .pre_tokenize(&mut words)
            .map_err(failed)?;
        let mut ids = vec![self.bos_id];
        for (word, _, _) in words.get_splits(OffsetReferential::Original, OffsetType::Byte) {
            self.segment(word, &mut ids);
        }
        ids.truncate(max_tokens.saturating_sub(1).max(1));
        ids.push(self.eos_id);
        Ok(ids)
    }

    /// Appends the best-scoring segmentation of `word` into pieces.
    fn segment(&self, word: &str, ids: &mut Vec<u32>) {
        #[derive(Clone, Copy)]
        struct Best {
            score: f64,
            start: Option<usize>,
            id: u32,
        }
        let none = Best {
            score: 0.0,
            start: None,
            id: 0,
        };
        let mut best = vec![none; word.len() + 1];
        for (start, first) in word.char_indices() {
            let here = best[start].score;
            let mut single = false;
            let ends = word[start..]
                .char_indices()
                .map(|(i, c)| start + i + c.len_utf8())
                .take_while(|end| end - start <= self.longest_piece);
            for end in ends {
                let Some(&(id, score)) = self.pieces.get(&word[start..end]) else {
                    continue;
                };
                let node = &mut best[end];
                if node.start.is_none() || here + score > node.score {
                    *node = Best {
                        score: here + score,
                        start: Some(start),
                        id,
                    };
                }
                single |= end - start == first.len_utf8();
            }
            let end = start + first.len_utf8();
            if !single && (best[end].start.is_none() || here + self.unk_score > best[end].score) {
                best[end] = Best {
                    score: here + self.unk_score,
                    start: Some(start),
                    id: self.unk_id,
                };
            }
        }
        let mut path = Vec::new();
        let mut end = word.len();
        while let Some(start) = best[end].start {
            let id = best[end].id;
            // Consecutive unknown characters become one `<unk>`.
            if !(id == self.unk_id && path.last() == Some(&self.unk_id)) {
                path.push(id);
            }
            end = start;
        }
        ids.extend(path.into_iter().rev());
    }
}
