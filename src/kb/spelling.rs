//! Which known word a misspelt one stands for. Customers type "voicemial", "contarct", "unlcok":
//! a word no article has, one edit (a letter added, dropped, changed, or two neighbours swapped)
//! from one that articles have. The message path appends the known word to the message
//! (`KnowledgeBase::read_message`), so the classifier, the search and the coverage signal all
//! read it; without it, every typo looks like a subject the knowledge base lacks. Words are
//! compared as written, before stemming: "voicemial" is one edit from "voicemail", but their
//! stems are two apart.
//!
//! The lookup is SymSpell's: every known word and every one-letter deletion of it point at the
//! word, so a query word's own deletions find its neighbours without scanning the vocabulary.

use std::collections::HashMap;

/// Shorter unknown words are left alone: one edit from a 3-letter word is too many words.
const MIN_TYPO_CHARS: usize = 4;

/// Whether an analysed term is one a typo may hide in: a Latin word of 4+ letters (Chinese
/// misspellings are homophones, handled by `super::pinyin`).
pub fn may_be_typo(term: &str) -> bool {
    term.len() >= MIN_TYPO_CHARS && term.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Known words as written, with how many articles have each, and their one-letter deletions.
#[derive(Default)]
pub struct Spelling {
    /// A known word, or one less a letter -> the entries (indexes into `words`) that make it.
    variants: HashMap<String, Vec<u32>>,
    /// A known word (lowercased) and how many articles have it.
    words: Vec<(String, u32)>,
}

impl Spelling {
    /// Indexes the words a typo may stand for: `(word, how many articles have it)`; words
    /// [`may_be_typo`] rejects are skipped.
    pub fn build<'a>(known: impl Iterator<Item = (&'a str, u32)>) -> Spelling {
        let mut spelling = Spelling::default();
        for (word, count) in known.filter(|(word, _)| may_be_typo(word)) {
            let entry = spelling.words.len() as u32;
            for variant in variants_of(word) {
                spelling.variants.entry(variant).or_default().push(entry);
            }
            spelling.words.push((word.to_string(), count));
        }
        spelling
    }

    /// The known word exactly one edit from `word` (lowercased; none if it is not a word
    /// [`may_be_typo`] accepts, or nothing is that close). Two neighbours swapped is the
    /// likeliest slip ("contarct" is contract, not the commoner contact, a letter away), then the
    /// commonest word; equals go to the first in alphabetical order, so the choice never depends
    /// on the index's order.
    pub fn best(&self, word: &str) -> Option<&str> {
        if !may_be_typo(word) {
            return None;
        }
        let rank = |known: &(String, u32)| (is_swap(word, &known.0), known.1);
        let mut best: Option<&(String, u32)> = None;
        for variant in variants_of(word) {
            let entries = self.variants.get(&variant).into_iter().flatten();
            for known in entries.filter_map(|&e| self.words.get(e as usize)) {
                let better = best.is_none_or(|b| (rank(known), &b.0) > (rank(b), &known.0));
                if better && strsim::osa_distance(word, &known.0) == 1 {
                    best = Some(known);
                }
            }
        }
        best.map(|(known, _)| known.as_str())
    }
}

/// Whether `a` and `b`, one edit apart, differ by two neighbouring letters swapped.
fn is_swap(a: &str, b: &str) -> bool {
    let sorted = |s: &str| {
        let mut bytes = s.as_bytes().to_vec();
        bytes.sort_unstable();
        bytes
    };
    a.len() == b.len() && sorted(a) == sorted(b)
}

/// `word` and every copy of it less one letter (ASCII: callers checked [`may_be_typo`]).
fn variants_of(word: &str) -> impl Iterator<Item = String> + '_ {
    let deletions = (0..word.len()).map(move |i| format!("{}{}", &word[..i], &word[i + 1..]));
    std::iter::once(word.to_string()).chain(deletions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelling() -> Spelling {
        let words = [
            ("voicemail", 3),
            ("contract", 2),
            ("contact", 9),
            ("unlock", 2),
            ("roam", 4),
        ];
        let more = [("test", 2), ("text", 5), ("rest", 5)];
        Spelling::build(words.into_iter().chain(more))
    }

    #[test]
    fn one_edit_of_any_kind_finds_the_known_word() {
        let spelling = spelling();
        assert_eq!(
            spelling.best("voicemial"),
            Some("voicemail"),
            "neighbours swapped"
        );
        assert_eq!(
            spelling.best("contarct"),
            Some("contract"),
            "neighbours swapped"
        );
        assert_eq!(spelling.best("unlok"), Some("unlock"), "a letter dropped");
        assert_eq!(spelling.best("roams"), Some("roam"), "a letter added");
        assert_eq!(spelling.best("tesr"), Some("test"), "a letter changed");
    }

    #[test]
    fn a_swap_wins_then_the_commonest_word_then_the_first_alphabetically() {
        let spelling = spelling();
        assert_eq!(
            spelling.best("contarct"),
            Some("contract"),
            "not contact (9)"
        );
        assert_eq!(spelling.best("tezt"), Some("text"), "test (2) or text (5)");
        assert_eq!(spelling.best("rext"), Some("rest"), "rest or text, both 5");
    }

    #[test]
    fn two_edits_short_words_and_other_scripts_find_nothing() {
        let spelling = spelling();
        assert_eq!(spelling.best("vociemial"), None);
        assert_eq!(spelling.best("bil"), None, "under four letters");
        assert_eq!(spelling.best("漫游"), None);
    }
}
