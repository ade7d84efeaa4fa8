//! Phrase lists looked up in one pass over a text: the escalation cues, the requests for a
//! person, the questions asked ahead of time and the questions about the bot all match their
//! phrases here, English ones on word boundaries of the lower-cased text.

use std::ops::Range;

use aho_corasick::AhoCorasick;

/// A list of phrases looked up in one pass over a text (Aho-Corasick), instead of one substring
/// search per phrase. Each phrase carries a tag (the cue's kind).
pub(crate) struct PhraseSet {
    phrases: Vec<(usize, &'static str)>,
    automaton: AhoCorasick,
    /// English: a phrase must not start or end inside a word ("sue" is not in "issue").
    on_word_boundaries: bool,
}

impl PhraseSet {
    pub(crate) fn new(phrases: Vec<(usize, &'static str)>, on_word_boundaries: bool) -> PhraseSet {
        let automaton = AhoCorasick::new(phrases.iter().map(|(_, p)| p))
            .expect("the lexicons are small, fixed phrase lists");
        PhraseSet {
            phrases,
            automaton,
            on_word_boundaries,
        }
    }

    /// Untagged English phrases, matched on word boundaries: the common case of a stock-phrase
    /// list whose phrases only need to be found, not told apart.
    pub(crate) fn english(phrases: &[&'static str]) -> PhraseSet {
        PhraseSet::new(phrases.iter().map(|p| (0, *p)).collect(), true)
    }

    /// The phrases found in `text`, in the order of the list.
    pub(crate) fn found(&self, text: &str) -> Vec<(usize, &'static str)> {
        self.found_outside(text, &[])
    }

    /// The phrases found in `text` other than wholly inside one of `masked` (byte ranges), in
    /// the order of the list.
    pub(crate) fn found_outside(
        &self,
        text: &str,
        masked: &[Range<usize>],
    ) -> Vec<(usize, &'static str)> {
        let mut hit = vec![false; self.phrases.len()];
        for (pattern, span) in self.matches(text) {
            let inside = |mask: &Range<usize>| mask.start <= span.start && span.end <= mask.end;
            if !masked.iter().any(inside) {
                hit[pattern] = true;
            }
        }
        let found = self.phrases.iter().zip(hit).filter(|(_, hit)| *hit);
        found.map(|(entry, _)| *entry).collect()
    }

    /// Where the phrases occur in `text` (byte ranges).
    pub(crate) fn spans(&self, text: &str) -> Vec<Range<usize>> {
        self.matches(text).map(|(_, span)| span).collect()
    }

    /// Every occurrence of a phrase (on word boundaries where asked): (phrase number, bytes).
    fn matches<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, Range<usize>)> + 't {
        self.automaton.find_overlapping_iter(text).filter_map(|m| {
            let pattern = m.pattern().as_usize();
            let phrase = self.phrases[pattern].1;
            let kept = !self.on_word_boundaries || bounded(text, m.start(), phrase);
            kept.then_some((pattern, m.range()))
        })
    }
}

/// `text` lower-cased with typographic apostrophes made plain, as the English phrases are written.
pub(crate) fn lowered(text: &str) -> String {
    text.to_lowercase().replace(['’', '‘'], "'")
}

/// `phrase` in `text` with no letter right before or after it ("sue" is not in "issue").
#[cfg(test)]
pub(crate) fn has_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase)
        .any(|(at, _)| bounded(text, at, phrase))
}

/// Whether `phrase`, found at byte `at` of `text`, starts and ends on word boundaries (a phrase
/// that starts or ends with punctuation needs none on that side).
fn bounded(text: &str, at: usize, phrase: &str) -> bool {
    let outside = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
    let inside = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let before = text[..at].chars().next_back();
    let after = text[at + phrase.len()..].chars().next();
    (!inside(phrase.chars().next()) || outside(before))
        && (!inside(phrase.chars().last()) || outside(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_on_word_boundaries_only() {
        assert!(has_phrase("i will sue you", "sue"));
        assert!(!has_phrase("there is an issue", "sue"));
        assert!(has_phrase("oh great job kestrel", "great job"));
    }
}
