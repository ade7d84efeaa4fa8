//! How much of a question an article's own words cover: an answerability signal. A question
//! about a subject next to an article's ("does the Hub 2 do WiFi 6", "can I pay for a laptop in
//! instalments") ranks that article first on everything it shares with it, yet its most telling
//! word appears nowhere in it. The share of the question's weight (inverse article frequency)
//! that the article lacks tells the two apart better than any score of the hit, which only
//! measures what matched.

use std::collections::{HashMap, HashSet};

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer;
use super::article::Article;
use super::spelling::Spelling;

/// Every article's analysed words, and in how many articles each word appears. Words are kept
/// once, by number; an article holds its words' numbers, sorted (a 10,000-article KB holds a few
/// million numbers, not a few million strings).
pub struct Coverage {
    /// Article number -> its distinct word numbers, sorted.
    words: Vec<Vec<u32>>,
    /// Word -> (its number, how many articles have it).
    vocabulary: HashMap<String, (u32, u32)>,
    /// The articles' words as written, for the known word a misspelt one stands for.
    spelling: Spelling,
    analyzer: TextAnalyzer,
}

/// A question's distinct words that some article has, each with its number and weight, and how
/// many words no article has.
pub struct QuestionWords {
    known: Vec<(u32, f32)>,
    unknown: usize,
}

/// What an article's words leave out of a question.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gap {
    /// The share of the question's weight, over words some article has, that this one lacks.
    pub uncovered: f32,
    /// The share of the question's distinct words that no article has (typos, other subjects).
    pub unknown: f32,
}

impl Coverage {
    pub fn build(articles: &[Article]) -> Coverage {
        let mut analyzer = analyzer::analyzer();
        let mut words = Vec::with_capacity(articles.len());
        let mut vocabulary: HashMap<String, (u32, u32)> = HashMap::new();
        // Each word as written -> how many articles have it.
        let mut written: HashMap<String, u32> = HashMap::new();
        for article in articles {
            let (own, own_written) = article_words(&mut analyzer, article);
            for word in own_written {
                *written.entry(word).or_default() += 1;
            }
            let mut numbers: Vec<u32> = own
                .into_iter()
                .map(|word| {
                    let next = vocabulary.len() as u32;
                    let entry = vocabulary.entry(word).or_insert((next, 0));
                    entry.1 += 1;
                    entry.0
                })
                .collect();
            numbers.sort_unstable();
            words.push(numbers);
        }
        Coverage {
            words,
            vocabulary,
            spelling: Spelling::build(written.iter().map(|(w, n)| (w.as_str(), *n))),
            analyzer,
        }
    }

    /// The known words `text`'s misspelt words stand for, each once. A word is misspelt when no
    /// article has it, `is_word` (a dictionary) does not know it, and an article has a word one
    /// edit from it ([`Spelling`]): "hosting" is no typo of "posting".
    pub fn corrections(&self, text: &str, is_word: impl Fn(&str) -> bool) -> Vec<&str> {
        // Only Latin words can be typos here: the rest of the text is not analysed at all (jieba
        // over a long Chinese message would cost more than everything else on this path).
        let latin: String = text
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
            .collect();
        let mut analyzer = self.analyzer.clone();
        let mut words = analyzer::terms_and_words(&mut analyzer, &latin);
        words.sort_unstable();
        words.dedup();
        let mut found: Vec<&str> = Vec::new();
        for (term, written) in words {
            if self.vocabulary.contains_key(&term) || is_word(&written) {
                continue;
            }
            if let Some(known) = self.spelling.best(&written)
                && !found.contains(&known)
            {
                found.push(known);
            }
        }
        found
    }

    /// The distinct analysed words of `text`, weighted by how few articles have them (a word all
    /// articles have weighs nothing).
    pub fn question(&self, text: &str) -> QuestionWords {
        let mut analyzer = self.analyzer.clone();
        let mut terms = analyzer::terms(&mut analyzer, text);
        terms.sort();
        terms.dedup();
        let articles = self.words.len() as f32;
        let known: Vec<(u32, f32)> = terms
            .iter()
            .filter_map(|term| self.vocabulary.get(term))
            .map(|&(number, df)| (number, ((articles + 1.0) / df as f32).ln()))
            .collect();
        QuestionWords {
            unknown: terms.len() - known.len(),
            known,
        }
    }

    /// What article number `article` leaves out of `question`.
    pub fn gap(&self, question: &QuestionWords, article: usize) -> Gap {
        let Some(own) = self.words.get(article) else {
            return Gap::default();
        };
        let words = question.known.len() + question.unknown;
        if words == 0 {
            return Gap::default();
        }
        let total: f32 = question.known.iter().map(|(_, w)| w).sum();
        let missing: f32 = question
            .known
            .iter()
            .filter(|(number, _)| own.binary_search(number).is_err())
            .map(|(_, w)| w)
            .sum();
        Gap {
            uncovered: if total > 0.0 { missing / total } else { 0.0 },
            unknown: question.unknown as f32 / words as f32,
        }
    }
}

/// An article's distinct terms, and its distinct words as written (lowercased).
fn article_words(
    analyzer: &mut TextAnalyzer,
    article: &Article,
) -> (HashSet<String>, HashSet<String>) {
    let mut terms = HashSet::new();
    let mut written = HashSet::new();
    for text in texts_of(article) {
        for (term, word) in analyzer::terms_and_words(analyzer, text) {
            terms.insert(term);
            written.insert(word);
        }
    }
    (terms, written)
}

fn texts_of(article: &Article) -> impl Iterator<Item = &str> {
    let passages = article
        .passages
        .iter()
        .flat_map(|p| [p.heading.as_str(), p.text.as_str()]);
    std::iter::once(article.title.as_str())
        .chain(article.tags.iter().map(String::as_str))
        .chain(article.questions.iter().map(String::as_str))
        .chain(passages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::article::Passage;

    fn article(id: &str, title: &str, text: &str) -> Article {
        Article {
            id: id.into(),
            title: title.into(),
            lang: "en".into(),
            tags: Vec::new(),
            intents: Vec::new(),
            questions: Vec::new(),
            updated: None,
            tenant: None,
            passages: vec![Passage {
                anchor: String::new(),
                heading: title.into(),
                text: text.into(),
            }],
        }
    }

    fn coverage() -> Coverage {
        Coverage::build(&[
            article(
                "hub",
                "Set up the Hub 2 router",
                "Plug the router in and join its wifi.",
            ),
            article(
                "roam",
                "Roaming abroad",
                "Turn on roaming before you travel.",
            ),
            article(
                "bill",
                "Your bill",
                "Your bill lists your plan and roaming charges.",
            ),
        ])
    }

    #[test]
    fn a_question_about_the_article_subject_is_covered() {
        let coverage = coverage();
        let question = coverage.question("how do I set up my router wifi");
        let gap = coverage.gap(&question, 0);
        assert!(gap.uncovered < 0.01, "{gap:?}");
    }

    #[test]
    fn a_word_another_article_has_counts_as_uncovered() {
        let coverage = coverage();
        let question = coverage.question("router roaming");
        let gap = coverage.gap(&question, 0);
        assert!(gap.uncovered > 0.3 && gap.uncovered < 0.7, "{gap:?}");
    }

    #[test]
    fn a_misspelt_word_is_corrected_to_the_word_an_article_has() {
        let coverage = coverage();
        let no_dictionary = |_: &str| false;
        let corrections = |text| coverage.corrections(text, no_dictionary);
        assert_eq!(corrections("how do I set up my ruoter"), vec!["router"]);
        assert!(corrections("set up the routers").is_empty(), "known stem");
        assert!(corrections("router vpn").is_empty(), "nothing near");
        let dictionary = |word: &str| word == "ruoter";
        assert!(
            coverage.corrections("ruoter", dictionary).is_empty(),
            "a real word"
        );
    }

    #[test]
    fn a_word_no_article_has_is_unknown_not_uncovered() {
        let coverage = coverage();
        let question = coverage.question("router vpn");
        let gap = coverage.gap(&question, 0);
        assert_eq!(gap.uncovered, 0.0);
        assert!((gap.unknown - 0.5).abs() < 1e-6, "{gap:?}");
    }
}
