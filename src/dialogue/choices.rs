//! What a clarifying question offers the customer: the articles that match the message, by
//! title in the customer's language, and whether a message is a bare keyword or two ("宽带",
//! "my plan") that several articles answer, rather than a question no article covers.

use super::Lang;
use crate::config::DialogueSettings;
use crate::kb::Hit;
use crate::nlu::features::is_cjk;

/// At most this many words (a Chinese word counted as two characters) make a bare keyword.
const KEYWORD_WORDS: usize = 2;

/// The hits that match the message well enough to quote: by words (BM25) or by meaning.
pub fn relevant(hits: Vec<Hit>, settings: &DialogueSettings) -> Vec<Hit> {
    hits.into_iter()
        .filter(|h| h.bm25 >= settings.min_kb_score || h.cosine >= settings.min_kb_cosine)
        .collect()
}

/// The hits that share the message's words: what a keyword's clarifying question may offer
/// (a match by meaning alone is too loose for a word or two).
pub fn word_matches<'a>(
    hits: &'a [Hit],
    settings: &DialogueSettings,
) -> impl Iterator<Item = &'a Hit> {
    let min_score = settings.min_kb_score;
    hits.iter().filter(move |h| h.bm25 >= min_score)
}

/// The titles of the first two articles in the customer's language: what a clarifying question
/// offers to choose between, in words the customer reads rather than intent names.
pub fn two_titles<'a>(
    hits: impl IntoIterator<Item = &'a Hit>,
    lang: Lang,
) -> Option<(&'a str, &'a str)> {
    let mut titles = hits
        .into_iter()
        .filter(|h| h.lang == lang.code())
        .map(|h| h.title.as_str());
    let first = titles.next()?;
    let second = titles.find(|t| *t != first)?;
    Some((first, second))
}

/// What a question no hit answers may still be offered: the two best articles' titles, when the
/// best one came close (`suggest_min_answerability`). A hit not judged (no model for its
/// language) is never offered this way.
pub fn suggestions<'a>(
    answers: &'a [Hit],
    settings: &DialogueSettings,
    lang: Lang,
) -> Option<(&'a str, &'a str)> {
    let best = answers.first()?.answerability?;
    if best < settings.suggest_min_answerability {
        return None;
    }
    two_titles(answers, lang)
}

/// A bare keyword, or a request for help whose subject is one ("help with my bill", "帮我看看账单").
pub fn is_vague(text: &str) -> bool {
    let subject = super::opener::subject_of_help_request(text);
    is_bare_keywords(text) || subject.is_some_and(|s| is_bare_keywords(&s))
}

/// A message of a word or two and no question mark: a topic named, not a question asked.
pub fn is_bare_keywords(text: &str) -> bool {
    if text.contains(['?', '？']) {
        return false;
    }
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    let latin = text
        .split(|c: char| !c.is_alphanumeric() || is_cjk(c))
        .filter(|w| !w.is_empty())
        .count();
    latin + cjk.div_ceil(2) <= KEYWORD_WORDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_or_two_is_a_keyword_and_a_question_is_not() {
        for keyword in ["宽带", "卡", "国际漫游", "my plan", "sim card", "Roaming"] {
            assert!(is_bare_keywords(keyword), "{keyword}");
        }
        for question in [
            "宽带坏了怎么办",
            "how do I change my plan",
            "plan?",
            "漫游？",
        ] {
            assert!(!is_bare_keywords(question), "{question}");
        }
    }
}
