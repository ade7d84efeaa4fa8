//! A request for help that does not yet say with what: "help", "I need help", "can you help me?",
//! "I have a question", "我需要帮助", "帮帮我", "我有个问题", "请问". The most common way a chat opens,
//! and one the classifier cannot read: there is no topic in it, so it lands on whichever intent
//! happens to be nearest ("help" read as thanks, "I need help" as a sensitive situation). The
//! bot asks what the customer needs instead, says what it can do, and keeps a person on offer.
//!
//! Recognised by vocabulary, not by the model: the message must consist only of help words and
//! the words around them (pronouns, "please", "can", "some", greetings). Any other word, a topic
//! ("help with my bill"), a person ("can someone help"), urgency ("help me now"), makes it an
//! ordinary message that the classifier and the judge read as usual.

use super::words::{chinese, latin_words, without_pieces};

/// Words that ask for help or announce a question.
#[rustfmt::skip]
const HELP_WORDS_EN: &[&str] = &[
    "help", "helping", "assist", "assistance", "question", "questions", "query", "problem", "issue",
];

/// Words that may surround a help word without naming a subject.
#[rustfmt::skip]
const FRAME_WORDS_EN: &[&str] = &[
    "i", "im", "i'm", "ive", "i've", "me", "we", "us", "you", "u", "ya", "can",
    "could", "would", "will", "please", "pls", "plz", "need", "needs", "want", "like", "some", "a",
    "an", "little", "bit", "with", "something", "quick", "small", "simple", "one", "hi", "hello", "hey",
    "there", "do", "have", "got", "get", "is", "it", "possible", "to", "just", "ok", "okay",
    "so", "um", "uh", "hoping", "hope", "may", "ask", "am", "about", "for", "on", "regarding",
];

/// Chinese help words: at least one must be there.
const HELP_WORDS_ZH: &[&str] = &["帮", "问题", "问", "咨询", "求助"];

/// Chinese pieces that may surround them, longest first so that "帮助" is taken whole.
#[rustfmt::skip]
const FRAME_WORDS_ZH: &[&str] = &[
    "你好", "您好", "请问", "麻烦", "需要", "可以", "能否", "一下", "一个", "帮助", "帮忙", "事情",
    "问题", "咨询", "求助", "请", "我", "你", "您", "想", "要", "能", "吗", "嘛", "呢", "吧", "啊",
    "呀", "下", "有", "个", "点", "些", "件", "事", "了", "帮", "问", "在",
];

/// Whether `text` asks for help (or announces a question) and says nothing else.
pub fn asks_for_help_only(text: &str) -> bool {
    subject_of_help_request(text).is_some_and(|subject| subject.is_empty())
}

/// What a request for help is about: its words once the help and frame words are taken out
/// ("help with my bill": "my bill"; "帮我看看账单": "看看账单"). `None` when `text` has no help
/// word.
pub fn subject_of_help_request(text: &str) -> Option<String> {
    let lowered = text.to_lowercase();
    let words: Vec<&str> = latin_words(&lowered).collect();
    let chinese = chinese(&lowered);
    let english_helps = words.iter().any(|w| HELP_WORDS_EN.contains(w));
    let chinese_helps = HELP_WORDS_ZH.iter().any(|w| chinese.contains(w));
    if !english_helps && !chinese_helps {
        return None;
    }
    let mut subject: Vec<String> = words
        .into_iter()
        .filter(|w| !HELP_WORDS_EN.contains(w) && !FRAME_WORDS_EN.contains(w))
        .map(str::to_string)
        .collect();
    let rest = without_pieces(&chinese, FRAME_WORDS_ZH);
    if !rest.is_empty() {
        subject.push(rest);
    }
    Some(subject.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_help_without_a_subject_is_an_opener() {
        for text in [
            "help",
            "Help!",
            "help me please",
            "I need help",
            "i need some help",
            "can you help me?",
            "Hi, can you help me with something?",
            "I have a question",
            "quick question",
            "I've got a problem",
            "i need assistance",
            "帮助",
            "帮帮我",
            "我需要帮助",
            "能帮我一下吗",
            "我有个问题",
            "问个问题",
            "有问题想问",
            "请问",
            "你好，我想咨询一下",
        ] {
            assert!(asks_for_help_only(text), "{text}");
        }
    }

    #[test]
    fn a_subject_a_person_or_urgency_makes_it_an_ordinary_message() {
        for text in [
            "help with my bill",
            "I need help, my husband is tracking my phone",
            "can someone help me",
            "is anyone there",
            "help me now",
            "I have a problem with roaming",
            "hi",
            "thanks for your help",
            "我需要帮助，有人盗用了我的号码",
            "帮我转人工",
            "在吗",
            "救命",
            "谢谢你的帮助",
            "我的问题还没解决",
        ] {
            assert!(!asks_for_help_only(text), "{text}");
        }
    }

    #[test]
    fn the_subject_is_what_is_left_of_a_request_for_help() {
        let subject = |text| subject_of_help_request(text);
        assert_eq!(subject("help with my bill").as_deref(), Some("my bill"));
        assert_eq!(
            subject("I need help about roaming").as_deref(),
            Some("roaming")
        );
        assert_eq!(subject("帮我看看账单").as_deref(), Some("看看账单"));
        assert_eq!(subject("请问").as_deref(), Some(""));
        assert_eq!(subject("my bill is wrong"), None);
    }
}
