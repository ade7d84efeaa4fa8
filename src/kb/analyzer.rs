//! Text analysis for the index and for queries: Latin words are lowercased, stop-worded and
//! stemmed (English); Chinese runs become overlapping character unigrams and bigrams, which
//! match Chinese words without a dictionary.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

use crate::nlu::features::is_cjk;

pub const ANALYZER: &str = "switchboard";

pub fn analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(MixedTokenizer)
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

#[derive(Clone, Default)]
pub struct MixedTokenizer;

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
        VecTokenStream {
            tokens: split(text),
            index: 0,
        }
    }
}

fn split(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut previous_cjk: Option<(usize, char)> = None;
    let push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
        let position = tokens.len();
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: text[from..to].to_string(),
            position_length: 1,
        });
    };
    for (i, c) in text.char_indices() {
        let cjk = is_cjk(c);
        if (!c.is_alphanumeric() || cjk)
            && let Some(start) = word_start.take()
        {
            push(start, i, &mut tokens);
        }
        if cjk {
            if let Some((start, _)) = previous_cjk {
                push(start, i + c.len_utf8(), &mut tokens);
            }
            push(i, i + c.len_utf8(), &mut tokens);
            previous_cjk = Some((i, c));
            continue;
        }
        previous_cjk = None;
        if c.is_alphanumeric() && word_start.is_none() {
            word_start = Some(i);
        }
    }
    if let Some(start) = word_start {
        push(start, text.len(), &mut tokens);
    }
    tokens
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_stemmed_and_chinese_is_bigrammed() {
        let mut analyzer = analyzer();
        assert_eq!(
            terms(&mut analyzer, "Roaming charges"),
            vec!["roam", "charg"]
        );
        assert_eq!(
            terms(&mut analyzer, "漫游费"),
            vec!["漫", "漫游", "游", "游费", "费"]
        );
        assert_eq!(
            terms(&mut analyzer, "开通eSIM"),
            vec!["开", "开通", "通", "esim"]
        );
    }
}
