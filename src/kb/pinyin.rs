//! Pinyin typed for Chinese words. Customers write 漫游 as `manyou` and 套餐 as `tc` (its
//! initials) when switching the input method is slower than typing Latin letters, and a pinyin
//! input method's typo is the wrong character for the right sound (拦节 for 拦截). The knowledge
//! base knows its own Chinese words, so it maps each word's pinyin (tones dropped) back to the
//! word, and a word's initials when one word clearly owns them; a question then carries the
//! Chinese words its pinyin, initials and misheard characters stand for into the classifier,
//! the judge and the search.
//!
//! Built from the articles when the knowledge base is built, so a published article's words
//! count from its next reindex. Words the English articles use as Latin words (`app`, `change`)
//! are never read as pinyin.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pinyin::ToPinyin;

use crate::nlu::chinese::simplified;
use crate::nlu::features::{chinese_runs, chinese_words, is_cjk};

/// Initials are ambiguous (`tc` is 套餐, but also 通常): the word must make up at least this share
/// of the knowledge base's words with those initials...
const INITIALS_SHARE: f32 = 0.6;
/// ...and occur at least this often, so a word used once never claims them.
const INITIALS_MIN_COUNT: u32 = 5;
/// Full pinyin shorter than this is too often an English word or a fragment (`an`, `men`).
const MIN_FULL_LETTERS: usize = 4;
/// A word corrects a homophone typo only if the articles use it this often.
const HOMOPHONE_MIN_COUNT: u32 = 3;

/// Pinyin and pinyin initials -> the knowledge base's Chinese word they stand for.
#[derive(Debug, Default)]
pub struct PinyinLexicon {
    full: HashMap<String, String>,
    initials: HashMap<String, String>,
    /// Every Chinese word of the articles, and the pinyin of those used often enough to correct
    /// a homophone typo towards.
    words: HashSet<String>,
    homophones: HashMap<String, String>,
}

impl PinyinLexicon {
    /// The lexicon of the Chinese articles' `chinese` texts: every Chinese word of two characters
    /// or more (jieba), counted. Latin words of the English articles' `english` texts are never
    /// read as pinyin (the Chinese articles' own Latin words are often pinyin: `kf`, `tc`).
    pub fn build<'a>(
        chinese: impl Iterator<Item = &'a str>,
        english: impl Iterator<Item = &'a str>,
    ) -> PinyinLexicon {
        let mut counts: HashMap<String, u32> = HashMap::new();
        for text in chinese {
            for word in chinese_words(text) {
                *counts.entry(word).or_default() += 1;
            }
        }
        let latin: HashSet<String> = english.flat_map(latin_words).collect();
        let mut full = Spellings::default();
        let mut initials = Spellings::default();
        let mut homophones = Spellings::default();
        for (word, &count) in &counts {
            let Some((spelled, first_letters)) = spell(word) else {
                continue;
            };
            if count >= HOMOPHONE_MIN_COUNT {
                homophones.add(spelled.clone(), word, count);
            }
            if spelled.len() >= MIN_FULL_LETTERS && !latin.contains(&spelled) {
                full.add(spelled, word, count);
            }
            if (2..=3).contains(&first_letters.len()) && !latin.contains(&first_letters) {
                initials.add(first_letters, word, count);
            }
        }
        PinyinLexicon {
            full: full.most_used(0.0, 1),
            initials: initials.most_used(INITIALS_SHARE, INITIALS_MIN_COUNT),
            words: counts.into_keys().collect(),
            homophones: homophones.most_used(0.0, 1),
        }
    }

    /// `text` with the Chinese words its pinyin stands for appended, or `None` when it has
    /// none. A message with Chinese characters may mix in pinyin and initials; one without is
    /// read as pinyin only when every word of it is pinyin (`jiating taocan`), never initials:
    /// English words spell pinyin too (`women`), and two letters alone are more often an English
    /// abbreviation.
    pub fn expand(&self, text: &str) -> Option<String> {
        let mixed = text.chars().any(is_cjk);
        if !mixed && !all_pinyin(text) {
            return None;
        }
        let mut words: Vec<&str> = self.corrections(text);
        for token in latin_words(text) {
            let found = self.full.get(&token).or_else(|| match mixed {
                true => self.initials.get(&token),
                false => None,
            });
            if let Some(word) = found
                && !words.contains(&word.as_str())
            {
                words.push(word);
            }
        }
        if words.is_empty() {
            return None;
        }
        Some(format!("{text} {}", words.join(" ")))
    }

    /// The articles' words that two or three characters of `text` sound like where jieba found
    /// no word (帐单 -> 账单, 拦节 -> 拦截): typed with a pinyin input method, a typo is usually
    /// the wrong character for the right sound, and it leaves single characters behind. Only
    /// runs of single characters are read, so a word boundary (新|用户) never passes for a typo.
    fn corrections(&self, text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = Vec::new();
        for tokens in chinese_runs(&simplified(text)) {
            for singles in tokens.split(|t| t.chars().count() > 1) {
                for len in 2..=3 {
                    for window in singles.windows(len) {
                        let written = window.concat();
                        if let Some(word) = self.homophone_of(&written)
                            && !found.contains(&word)
                        {
                            found.push(word);
                        }
                    }
                }
            }
        }
        found
    }

    fn homophone_of(&self, written: &str) -> Option<&str> {
        if self.words.contains(written) {
            return None;
        }
        let (spelled, _) = spell(written)?;
        self.homophones.get(&spelled).map(String::as_str)
    }
}

/// Whether `text` has two words or more and each is a run of pinyin syllables.
fn all_pinyin(text: &str) -> bool {
    let words: Vec<String> = latin_words(text).collect();
    words.len() >= 2 && words.iter().all(|w| is_syllables(w))
}

/// Whether `word` splits into pinyin syllables (tones dropped).
fn is_syllables(word: &str) -> bool {
    let syllables = syllables();
    let mut reachable = vec![false; word.len() + 1];
    reachable[0] = true;
    for end in 1..=word.len() {
        reachable[end] = (end.saturating_sub(6)..end)
            .any(|start| reachable[start] && syllables.contains(&word[start..end]));
    }
    reachable[word.len()]
}

/// Every toneless syllable of the CJK Unified Ideographs.
fn syllables() -> &'static HashSet<&'static str> {
    static SYLLABLES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SYLLABLES.get_or_init(|| {
        ('\u{4e00}'..='\u{9fff}')
            .filter_map(|c| c.to_pinyin())
            .map(|p| p.plain())
            .collect()
    })
}

/// Candidates for each spelling, with how often the knowledge base uses each.
#[derive(Default)]
struct Spellings(HashMap<String, Vec<(u32, String)>>);

impl Spellings {
    fn add(&mut self, spelling: String, word: &str, count: u32) {
        self.0
            .entry(spelling)
            .or_default()
            .push((count, word.to_string()));
    }

    /// Each spelling's most used word, when it has `share` of the spelling's uses and at least
    /// `min_count` of them (ties go to the word that sorts first, so builds are reproducible).
    fn most_used(self, share: f32, min_count: u32) -> HashMap<String, String> {
        let mut chosen = HashMap::new();
        for (spelling, mut words) in self.0 {
            words.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            let total: u32 = words.iter().map(|(count, _)| count).sum();
            let Some((count, word)) = words.first() else {
                continue;
            };
            if *count >= min_count && *count as f32 >= share * total as f32 {
                chosen.insert(spelling, word.clone());
            }
        }
        chosen
    }
}

/// A word's pinyin without tones, run together (`manyou`), and its initials (`my`); `None` if a
/// character has no pinyin.
fn spell(word: &str) -> Option<(String, String)> {
    let mut spelled = String::new();
    let mut initials = String::new();
    for syllable in word.to_pinyin() {
        let plain = syllable?.plain();
        spelled.push_str(plain);
        initials.push_str(plain.get(..1)?);
    }
    Some((spelled, initials))
}

/// Lowercased words of ASCII letters; a word with an apostrophe (`you'll`) is left out whole,
/// so that its pieces (`ll`) do not pass for words.
fn latin_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> PinyinLexicon {
        let chinese = [
            "出国前怎么开通漫游？漫游费用。",
            "嫦娥",
            "套餐包含什么，换套餐，套餐价格，套餐对比，取消套餐",
            "通常一天内到账",
            "拦截骚扰电话：开启拦截，拦截记录",
            "信用卡，信用额度，信用记录",
        ];
        let english = ["Change your plan in the app."];
        PinyinLexicon::build(chinese.into_iter(), english.into_iter())
    }

    #[test]
    fn full_pinyin_brings_the_word_it_spells() {
        let expanded = lexicon().expand("manyou怎么开").unwrap_or_default();
        assert_eq!(expanded, "manyou怎么开 漫游");
    }

    #[test]
    fn initials_count_when_one_word_owns_them_and_the_message_is_chinese() {
        let lexicon = lexicon();
        assert_eq!(lexicon.expand("tc价格表").as_deref(), Some("tc价格表 套餐"));
        assert_eq!(lexicon.expand("tc prices please"), None);
    }

    #[test]
    fn latin_words_of_the_articles_and_english_text_are_left_alone() {
        let lexicon = lexicon();
        // 嫦娥 is spelled `change`, an English word the articles use.
        assert_eq!(lexicon.expand("how do I change my plan"), None);
        assert_eq!(lexicon.expand("change套餐"), None);
        // `manyou` is pinyin, but the other words are English.
        assert_eq!(lexicon.expand("is manyou on for my trip"), None);
    }

    #[test]
    fn a_message_all_in_pinyin_is_read_as_pinyin() {
        let lexicon = lexicon();
        let expanded = lexicon.expand("manyou zenme kaitong");
        assert_eq!(
            expanded.as_deref(),
            Some("manyou zenme kaitong 漫游 怎么 开通")
        );
        assert!(is_syllables("zhuangtai") && !is_syllables("staying"));
    }

    #[test]
    fn a_character_typed_for_its_sound_is_corrected_to_the_articles_word() {
        let lexicon = lexicon();
        let expanded = lexicon.expand("骚扰电话怎么拦节").unwrap_or_default();
        assert!(expanded.ends_with(" 拦截"), "{expanded}");
    }

    #[test]
    fn characters_across_a_word_boundary_are_not_taken_for_a_typo() {
        // 新用户 is 新|用户: 新用 sounds like 信用 but is no typo.
        assert_eq!(lexicon().expand("新用户有优惠吗"), None);
    }
}
