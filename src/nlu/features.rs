//! Lexical features: hashed word and character n-grams, so that intents trained on Chinese (which
//! the English encoder cannot read) and exact phrasings still get a strong signal.

use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy_jieba::JiebaTokenizer;

/// Number of hash buckets for the sparse features.
pub const SPARSE_DIM: usize = 1 << 15;

/// A sparse vector: (bucket, weight) pairs, buckets unique, L2-normalised.
pub type Sparse = Vec<(u32, f32)>;

pub fn normalize(values: &mut [f32]) {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        values.iter_mut().for_each(|v| *v /= norm);
    }
}

/// FNV-1a: stable across platforms and Rust versions, so a trained model stays valid.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        let separator: &[u8] = if i == 0 { b"" } else { b"\x1f" };
        for byte in separator.iter().chain(part.as_bytes()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// Splits text into lowercase tokens: runs of letters/digits, and each CJK character alone.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if c != '\'' {
            flush_word(&mut word, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    out
}

fn flush_word(word: &mut String, out: &mut Vec<String>) {
    if !word.is_empty() {
        out.push(std::mem::take(word));
    }
}

/// The Chinese words (two characters or more) of each run of CJK characters, segmented by jieba.
/// Single characters are already tokens; words add what a character bigram across a word
/// boundary would blur.
pub(crate) fn chinese_words(text: &str) -> Vec<String> {
    chinese_runs(text)
        .into_iter()
        .flatten()
        .filter(|token| token.chars().count() > 1)
        .collect()
}

/// Each run of CJK characters of `text`, cut into words by jieba (single characters included).
pub(crate) fn chinese_runs(text: &str) -> Vec<Vec<String>> {
    let mut jieba = segmenter();
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars().chain([' ']) {
        if is_cjk(c) {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            let mut cut = jieba.token_stream(&run);
            let mut tokens = Vec::new();
            while let Some(token) = cut.next() {
                tokens.push(token.text.clone());
            }
            runs.push(tokens);
            run.clear();
        }
    }
    runs
}

/// jieba's default cut without HMM, on tantivy-jieba's dictionary: the index's analyzer loads
/// that one anyway, so the process holds one copy (34 MB) instead of two.
fn segmenter() -> JiebaTokenizer {
    let mut tokenizer = JiebaTokenizer::with_search_mode(false);
    tokenizer.set_hmm(false);
    tokenizer
}

/// Word unigrams and bigrams, plus character 3- to 5-grams of each Latin word (robust to typos
/// and inflection). CJK characters are tokens, so their bigrams and trigrams come from the
/// word n-grams.
pub fn sparse_features(text: &str) -> Sparse {
    // Cantonese and traditional characters are read as the (simplified Mandarin) examples.
    let text = &super::chinese::mandarin(text);
    let tokens = tokens(text);
    let mut counts: std::collections::BTreeMap<u32, f32> = std::collections::BTreeMap::new();
    let mut add = |parts: &[&str]| {
        let bucket = (fnv1a(parts) % SPARSE_DIM as u64) as u32;
        *counts.entry(bucket).or_insert(0.0) += 1.0;
    };
    for (i, token) in tokens.iter().enumerate() {
        add(&["w", token]);
        if let Some(next) = tokens.get(i + 1) {
            add(&["b", token, next]);
        }
        if let (Some(next), Some(third)) = (tokens.get(i + 1), tokens.get(i + 2))
            && token.chars().all(is_cjk)
        {
            add(&["t", token, next, third]);
        }
        if !token.chars().any(is_cjk) {
            char_ngrams(token, &mut add);
        }
    }
    for word in chinese_words(text) {
        add(&["j", &word]);
    }
    let mut sparse: Sparse = counts.into_iter().map(|(k, v)| (k, 1.0 + v.ln())).collect();
    let norm = sparse.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        sparse.iter_mut().for_each(|(_, v)| *v /= norm);
    }
    sparse
}

fn char_ngrams(word: &str, add: &mut impl FnMut(&[&str])) {
    let padded = format!("<{word}>");
    let bounds: Vec<usize> = padded
        .char_indices()
        .map(|(i, _)| i)
        .chain([padded.len()])
        .collect();
    for n in 3..=5 {
        for start in 0..bounds.len().saturating_sub(n) {
            add(&["c", &padded[bounds[start]..bounds[start + n]]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_dictionary_cuts_as_jieba_s_own_default_cut() {
        let jieba = tantivy_jieba::jieba_rs::Jieba::new();
        for run in [
            "我的手机套餐怎么改成便宜一点的",
            "国际漫游费太贵了",
            "副卡怎么加",
            "中",
        ] {
            let own: Vec<String> = jieba
                .cut(run, false)
                .into_iter()
                .map(|token| token.word.to_string())
                .filter(|w| w.chars().count() > 1)
                .collect();
            assert_eq!(chinese_words(run), own, "{run}");
        }
    }

    #[test]
    fn chinese_characters_are_separate_tokens() {
        assert_eq!(
            tokens("我的eSIM不能用"),
            vec!["我", "的", "esim", "不", "能", "用"]
        );
    }

    #[test]
    fn features_are_unit_length_and_deterministic() {
        let a = sparse_features("My bill is too high!");
        let norm: f32 = a.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(a, sparse_features("My bill is too high!"));
        assert!(sparse_features("   ").is_empty());
    }
}
