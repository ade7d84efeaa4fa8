//! A leading interjection of mild exasperation: "seriously, where is the PDF bill?", "ugh, how do
//! I reset my password", "好烦，app又把我踢出来了", "服了，我这有5G吗". To the scorer the interjection
//! alone can carry a routine question over the anger threshold (0.77 with "seriously", 0.45
//! without). The judge reads such a message a second time without it ([`after_exasperation`]
//! gives the rest) and holds the anger back as mild when the rest is calm: the bot answers, a
//! person is offered, and a second annoyed message hands over.
//!
//! Only sighs and groans are on the list. Sarcastic openers ("great,", "太好了，"), contempt
//! ("搞什么", "wtf") and threats stay part of the message, and so does an interjection in
//! capitals ("SERIOUSLY,"), which is shouting. Phrases only, no model.

/// English interjections, lower case; a repeated last letter ("ughhh", "sooo") also matches.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "seriously", "honestly", "ugh", "urgh", "argh", "sigh", "*sigh*", "meh", "jeez", "geez",
    "gosh", "oh man", "man", "oh boy", "hmm", "welp", "oof", "oh dear", "so annoying",
    "this is annoying", "annoying", "bit annoyed", "a bit annoyed", "slightly annoyed",
    "kinda annoyed", "so frustrating", "this is frustrating", "bit frustrating",
    "a bit frustrating", "frustrating", "not again", "here we go again",
];

/// Chinese interjections (simplified and traditional); a trailing particle ("好烦啊") also matches.
#[rustfmt::skip]
const CHINESE: &[&str] = &[
    "唉", "哎", "哎呀", "哎哟", "唉呀", "嗐", "好烦", "真烦", "烦", "烦死了", "好煩", "煩", "煩死了",
    "服了", "我服了", "无语", "好无语", "無語", "心累", "头疼", "头大", "頭痛", "郁闷", "鬱悶", "晕",
    "我晕", "暈", "天哪", "天啊", "醉了", "我也是醉了", "好麻烦", "麻烦死了", "好麻煩", "蛤", "厚",
];

/// Particles that may follow a Chinese interjection ("好烦啊", "服了呀").
const PARTICLES: &[char] = &['啊', '呀', '了', '啦', '哦', '喔', '诶', '欸'];

/// What separates the interjection from the rest.
const SEPARATORS: &[char] = &[
    ',', '，', '.', '。', '!', '！', '?', '？', '…', '~', '～', ' ', '、', ';', '；', ':', '：',
];

/// The message after its leading interjections of mild exasperation (at most two: "ugh,
/// seriously,"), or `None` when it has none or nothing is left after them.
pub fn after_exasperation(text: &str) -> Option<&str> {
    let mut rest = text.trim_start();
    let mut stripped = false;
    for _ in 0..2 {
        let Some(after) = after_one(rest) else {
            break;
        };
        rest = after;
        stripped = true;
    }
    let has_words = rest.chars().filter(|c| c.is_alphanumeric()).count() >= 3;
    (stripped && has_words).then_some(rest)
}

/// `text` after one interjection and its separators, if it opens with one.
fn after_one(text: &str) -> Option<&str> {
    let english = ENGLISH
        .iter()
        .filter_map(|phrase| after_english(text, phrase))
        .min_by_key(|rest| rest.len());
    let chinese = CHINESE
        .iter()
        .filter_map(|phrase| after_chinese(text, phrase))
        .min_by_key(|rest| rest.len());
    let rest = english.or(chinese)?;
    let separated = rest.trim_start_matches(SEPARATORS);
    (separated.len() < rest.len()).then_some(separated)
}

/// `text` after the English `phrase` (case aside, its last letter possibly repeated), unless the
/// interjection is written in capitals.
fn after_english<'t>(text: &'t str, phrase: &str) -> Option<&'t str> {
    let head = text.get(..phrase.len())?;
    if !head.eq_ignore_ascii_case(phrase) || shouted(head) {
        return None;
    }
    let last = phrase.chars().last()?;
    Some(text[phrase.len()..].trim_start_matches(last))
}

/// `text` after the Chinese `phrase` and any particles.
fn after_chinese<'t>(text: &'t str, phrase: &str) -> Option<&'t str> {
    Some(text.strip_prefix(phrase)?.trim_start_matches(PARTICLES))
}

/// Two or more letters, all capitals.
fn shouted(word: &str) -> bool {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_sigh_or_groan_is_taken_off() {
        let cases = [
            ("seriously, where is my PDF bill?", "where is my PDF bill?"),
            ("Ughhh... my wifi keeps dropping", "my wifi keeps dropping"),
            ("ugh, seriously, how do I top up", "how do I top up"),
            ("好烦，app又把我踢出来了", "app又把我踢出来了"),
            ("好烦啊！密码又忘了", "密码又忘了"),
            ("服了，我这有5G吗", "我这有5G吗"),
            ("唉 宽带又慢了", "宽带又慢了"),
        ];
        for (text, rest) in cases {
            assert_eq!(after_exasperation(text), Some(rest), "{text}");
        }
    }

    #[test]
    fn other_openers_and_words_that_only_start_alike_are_kept() {
        for text in [
            "great, another outage. where is the status page?",
            "SERIOUSLY, WHERE IS MY PHONE",
            "搞什么，又扣我钱",
            "太好了，又断网了",
            "manage my account settings",
            "honestly?",
            "烦人的推销电话怎么屏蔽",
            "how do I reset my password",
        ] {
            assert_eq!(after_exasperation(text), None, "{text}");
        }
    }
}
