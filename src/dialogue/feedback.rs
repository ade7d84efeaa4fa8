//! The customer telling the bot its reply did not help: "that didn't help", "not what I asked",
//! "没用", "答非所问". There is no topic in it for the classifier, which read these as out of
//! scope (declined), as thanks, or, for "that didn't help", as a sensitive situation. It is a
//! failed turn: the bot says sorry, asks for more detail and offers a person, and the next
//! failure hands over (`max_failed_turns`).
//!
//! Only a message that is such a remark and nothing more: "that didn't help, the charge is still
//! on my bill" or "my eSIM didn't work" names a topic and goes to the classifier as usual.

use super::words::{chinese, latin_words, without_pieces};

#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "didn't help", "didnt help", "did not help", "doesn't help", "doesnt help", "does not help",
    "not helpful", "unhelpful", "no help", "not what i asked", "not what i meant",
    "not what i'm asking", "not what im asking", "not what i was asking", "wrong answer",
    "that's not it", "thats not it", "that's wrong", "thats wrong", "doesn't answer",
    "didn't answer", "does not answer", "did not answer", "not the answer", "not my question",
    "didn't work", "didnt work", "did not work", "still not working", "still doesn't work",
];

#[rustfmt::skip]
const CHINESE: &[&str] = &[
    "没用", "没有用", "没帮助", "没有帮助", "帮不上", "不是这个", "答非所问", "不是我要问的",
    "不是我想问的", "不是我问的", "说的不对", "回答不对", "不对", "没解决", "没有解决", "还是不行",
    "还是没用", "不管用", "不行啊",
];

/// Words that may stand around the remark without naming a topic.
#[rustfmt::skip]
const FRAME_EN: &[&str] = &[
    "that", "that's", "thats", "this", "it", "no", "nope", "nah", "sorry", "but", "still", "answer",
    "the", "was", "is", "really", "at", "all", "your", "reply", "i", "me", "my", "question", "ok",
    "okay", "hmm", "um", "uh", "honestly", "just", "unfortunately", "sadly", "afraid", "what",
];

/// Chinese pieces that may stand around it, longest first.
#[rustfmt::skip]
const FRAME_ZH: &[&str] = &[
    "这个", "还是", "回答", "答案", "完全", "根本", "一点", "好像", "你们", "说的", "这", "你", "的",
    "说", "啊", "呀", "吧", "了", "都", "也", "真", "我", "嗯", "呃", "哎", "唉", "呢", "还",
];

/// Whether `text` is a remark that the bot's last reply did not help, and nothing more.
pub fn says_it_did_not_help(text: &str) -> bool {
    let mut rest = text.to_lowercase().replace('’', "'");
    let mut found = false;
    for phrase in ENGLISH.iter().chain(CHINESE) {
        if rest.contains(phrase) {
            found = true;
            rest = rest.replace(phrase, " ");
        }
    }
    found && only_frame_words(&rest)
}

/// Whether the words left around the remark are frame words only (no topic).
fn only_frame_words(rest: &str) -> bool {
    latin_words(rest).all(|w| FRAME_EN.contains(&w))
        && without_pieces(&chinese(rest), FRAME_ZH).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_remark_that_the_reply_did_not_help_is_feedback() {
        for text in [
            "that didn't help",
            "No, that’s not what I asked",
            "wrong answer",
            "this doesn't answer my question",
            "没用",
            "答非所问",
            "这不是我要问的",
        ] {
            assert!(says_it_did_not_help(text), "{text}");
        }
    }

    #[test]
    fn a_question_or_a_story_is_not_feedback() {
        for text in [
            "how do I turn on roaming",
            "that didn't help, the roaming charge from my trip to Spain is still on my bill",
            "my phone is not helpful with the new sim",
            "my esim didn't work",
            "宽带还是不行",
            "我的手机没信号了",
            "谢谢",
        ] {
            assert!(!says_it_did_not_help(text), "{text}");
        }
    }
}
