//! A message that points back at a problem without saying what it is: "it's that problem again",
//! "same issue as before", "it's happening again", "又是那个问题", "就之前那个啊", "老问题又来了".
//! Customers who come back often open this way, as if the bot remembered them. It does not: it
//! sees this conversation only. The classifier finds no topic in these words and guesses
//! ("又是那个问题" read as goodbye, "same problem again" as a password reset), so the bot said
//! goodbye or declined to somebody whose problem had come back. It is a failed turn instead: the
//! bot says it cannot see earlier conversations, asks what is happening and offers a person, who
//! can see the history; a second such turn hands over (`max_failed_turns`).
//!
//! Recognised by vocabulary, as [`opener`](super::opener) and [`feedback`](super::feedback) are:
//! a word that points back, something it points at, and nothing else. Any subject ("my roaming is
//! broken again", "又没信号了") makes it an ordinary message for the classifier.

use super::words::{chinese, latin_words, without_pieces};

/// English words that point back in time: at least one must be there.
#[rustfmt::skip]
const BACK_EN: &[&str] = &[
    "again", "same", "before", "earlier", "last", "previous", "previously", "usual", "still",
    "back", "mentioned", "reported", "yesterday", "another",
];

/// English words for what is pointed at: at least one must be there.
#[rustfmt::skip]
const POINTER_EN: &[&str] = &[
    "problem", "problems", "issue", "issues", "thing", "things", "one", "that", "it", "fault",
    "trouble", "happening", "doing",
];

/// English words that may stand around them without naming a subject.
#[rustfmt::skip]
const FRAME_EN: &[&str] = &[
    "it's", "its", "i", "i'm", "im", "i've", "ive", "the", "a", "as", "from", "like", "with", "my",
    "me", "you", "your", "is", "was", "has", "have", "had", "having", "got", "just", "yeah", "yes",
    "ok", "okay", "hi", "hello", "hey", "um", "uh", "so", "well", "there", "here", "of", "about",
    "to", "on", "and", "oh", "ugh", "all", "over", "time", "week", "this", "that's", "thats",
    "remember", "guys", "please", "pls", "sorry", "we",
];

/// Chinese pieces that point back in time: at least one must be there.
#[rustfmt::skip]
const BACK_ZH: &[&str] = &[
    "又", "还是", "之前", "上次", "以前", "刚才", "老", "同样", "一样", "再次", "前几天", "昨天",
    "说过", "反映过", "报过", "原来",
];

/// Chinese pieces for what is pointed at, and the pieces around them, longest first.
#[rustfmt::skip]
const REST_ZH: &[&str] = &[
    "前几天", "反映过", "还是", "之前", "上次", "以前", "刚才", "同样", "一样", "再次", "昨天",
    "说过", "报过", "原来", "问题", "情况", "毛病", "故障", "那个", "这个", "那样", "这样", "你好",
    "您好", "你们", "出现", "发生", "又", "老", "事", "是", "的", "啊", "呀", "吧", "了", "就",
    "我", "你", "那", "这", "个", "来", "还", "跟", "和", "嗯", "哎", "唉", "呢", "吗", "么", "说",
    "过", "在", "有", "样",
];

/// Whether `text` points back at an earlier problem and says nothing else about it.
pub fn only_points_back(text: &str) -> bool {
    let lowered = text.to_lowercase().replace('’', "'");
    let words: Vec<&str> = latin_words(&lowered).collect();
    let chinese = chinese(&lowered);
    match (words.is_empty(), chinese.is_empty()) {
        (false, true) => english_points_back(&words),
        (true, false) => chinese_points_back(&chinese),
        _ => false,
    }
}

fn english_points_back(words: &[&str]) -> bool {
    let known = |w: &&str| BACK_EN.contains(w) || POINTER_EN.contains(w) || FRAME_EN.contains(w);
    words.iter().any(|w| BACK_EN.contains(w))
        && words.iter().any(|w| POINTER_EN.contains(w))
        && words.iter().all(known)
}

fn chinese_points_back(chinese: &str) -> bool {
    BACK_ZH.iter().any(|piece| chinese.contains(piece))
        && without_pieces(chinese, REST_ZH).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::dialogue::{Lang, Plan, respond, without_topic};
    use crate::tickets::{BotAction, EscalationReason};

    #[test]
    fn pointing_back_fails_the_turn_and_the_second_time_hands_over() {
        let settings = Settings::defaults().dialogue;
        let which = without_topic("就之前那个啊", None);
        assert_eq!(
            which,
            Some(Plan::WhichProblem),
            "before the classifier's goodbye"
        );
        let which = Plan::WhichProblem;
        let first = respond(which.clone(), Vec::new(), Lang::Zh, 0, &settings);
        assert_eq!(first.action, BotAction::Clarify);
        assert!(first.failed && first.escalation.is_none());
        let second = respond(which, Vec::new(), Lang::Zh, 1, &settings);
        let reason = second.escalation.map(|e| e.reason);
        assert_eq!(reason, Some(EscalationReason::RepeatedFailure));
    }

    #[test]
    fn pointing_back_at_a_problem_without_naming_it_is_recognised() {
        for text in [
            "it's that problem again",
            "Same issue as before",
            "same thing as last time",
            "the one from before",
            "it’s happening again",
            "it's doing it again",
            "hi, the problem I mentioned yesterday",
            "still the same issue",
            "又是那个问题",
            "就之前那个啊",
            "老问题又来了",
            "还是上次那个情况",
            "跟昨天一样",
            "又出现了",
        ] {
            assert!(only_points_back(text), "{text}");
        }
    }

    #[test]
    fn a_message_that_names_its_subject_or_says_nothing_back_is_not_pointing_back() {
        for text in [
            "my roaming is broken again",
            "same problem with my bill as last month",
            "it's that problem",
            "again",
            "thanks again",
            "I have a problem",
            "又没信号了",
            "账单还是不对",
            "我妈老人家不会用",
            "你好",
            "that again? my esim",
            "I told you that already",
        ] {
            assert!(!only_points_back(text), "{text}");
        }
    }
}
