//! Text analysis for the index and for queries, per language: Latin words are lowercased,
//! stop-worded and stemmed (English); Chinese runs are segmented into words by jieba
//! (`tantivy-jieba`, search mode: long words also yield their dictionary sub-words).

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use tantivy_jieba::JiebaTokenizer;

use crate::nlu::chinese::mandarin;
use crate::nlu::features::is_cjk;

pub const ANALYZER: &str = "switchboard";

pub fn analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(MixedTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(stop_words) => builder
            .filter(stop_words)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

/// Splits text into Latin words and CJK runs; each CJK run goes through jieba.
#[derive(Clone, Default)]
pub struct MixedTokenizer {
    jieba: JiebaTokenizer,
}

pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for run in runs(text) {
            match run.kind {
                RunKind::Word => push(&mut tokens, text, run.from, run.to),
                RunKind::Cjk => self.segment(&mut tokens, text, run.from, run.to),
            }
        }
        VecTokenStream { tokens, index: 0 }
    }
}

impl MixedTokenizer {
    /// jieba's words of the run as Mandarin reads it (`nlu::chinese::mandarin`: 幾時 is indexed
    /// and searched as 什么时候). A rewritten run's words all point at the whole run.
    fn segment(&mut self, tokens: &mut Vec<Token>, text: &str, from: usize, to: usize) {
        let run = &text[from..to];
        let read = mandarin(run);
        let rewritten = read != run;
        let mut stream = self.jieba.token_stream(&read);
        while stream.advance() {
            let word = stream.token();
            let (start, end) = match rewritten {
                true => (from, to),
                false => (from + word.offset_from, from + word.offset_to),
            };
            push_word(tokens, &word.text, start, end);
        }
    }
}

fn push(tokens: &mut Vec<Token>, text: &str, from: usize, to: usize) {
    push_word(tokens, &text[from..to], from, to);
}

fn push_word(tokens: &mut Vec<Token>, word: &str, from: usize, to: usize) {
    let position = tokens.len();
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position,
        text: word.to_string(),
        position_length: 1,
    });
}

#[derive(Clone, Copy, PartialEq)]
enum RunKind {
    Word,
    Cjk,
}

struct Run {
    kind: RunKind,
    from: usize,
    to: usize,
}

/// Maximal runs of CJK characters, and of other letters/digits; everything else separates.
fn runs(text: &str) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    let mut current: Option<Run> = None;
    for (i, c) in text.char_indices() {
        let kind = if is_cjk(c) {
            Some(RunKind::Cjk)
        } else if c.is_alphanumeric() {
            Some(RunKind::Word)
        } else {
            None
        };
        let end = i + c.len_utf8();
        match (&mut current, kind) {
            (Some(run), Some(kind)) if run.kind == kind => run.to = end,
            (_, kind) => {
                out.extend(current.take());
                current = kind.map(|kind| Run {
                    kind,
                    from: i,
                    to: end,
                });
            }
        }
    }
    out.extend(current);
    out
}

/// The analysed terms of `text`, as the index stores them.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The analysed terms of `text`, each with the word it came from as written, lowercased (a
/// Chinese run rewritten to Mandarin gives the whole run).
pub fn terms_and_words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        let written = text
            .get(token.offset_from..token.offset_to)
            .unwrap_or_default();
        out.push((token.text.clone(), written.to_lowercase()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_stemmed_and_stop_worded() {
        let mut analyzer = analyzer();
        assert_eq!(
            terms(&mut analyzer, "The roaming charges"),
            vec!["roam", "charg"]
        );
    }

    #[test]
    fn terms_keep_the_word_they_came_from() {
        let mut analyzer = analyzer();
        assert_eq!(
            terms_and_words(&mut analyzer, "The Roaming charges"),
            vec![
                ("roam".into(), "roaming".into()),
                ("charg".into(), "charges".into())
            ]
        );
    }

    #[test]
    fn chinese_is_segmented_into_words() {
        let mut analyzer = analyzer();
        let words = terms(&mut analyzer, "我想开通国际漫游");
        assert!(words.contains(&"漫游".to_string()), "{words:?}");
        assert!(words.contains(&"开通".to_string()), "{words:?}");
        assert!(!words.contains(&"游".to_string()), "{words:?}");
    }

    #[test]
    fn cantonese_and_traditional_are_indexed_as_mandarin() {
        let mut analyzer = analyzer();
        let words = terms(&mut analyzer, "我份約幾時完");
        assert!(words.contains(&"什么".to_string()), "{words:?}");
        assert!(words.contains(&"时候".to_string()), "{words:?}");
        assert_eq!(terms(&mut analyzer, "簡訊"), terms(&mut analyzer, "短信"));
    }

    #[test]
    fn mixed_text_keeps_latin_words_whole() {
        let mut analyzer = analyzer();
        let words = terms(&mut analyzer, "开通eSIM卡");
        assert!(words.contains(&"esim".to_string()), "{words:?}");
        assert!(words.contains(&"开通".to_string()), "{words:?}");
    }
}
