//! Asking for a person in words the intent classifier may not have seen: "put me through to
//! someone", "is anyone real reading this?", "转人工", "有真人吗". Checking whether a human is on
//! the other end counts as asking for one; asking what the bot is ("are you a bot?") does not,
//! and is answered by the `bot_identity` intent. The phrases are narrow on purpose (no bare
//! "person", "call me" or "客服"), because a false hand-over costs an agent's time on a question
//! the knowledge base answers.

use std::sync::LazyLock;

use super::phrases::{self, PhraseSet};
use crate::nlu::chinese;

#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "human", "humans", "real person", "actual person", "live person", "real people",
    "actual people", "to a person", "with a person", "me a person", "need a person",
    "needs a person", "want a person", "an agent", "live agent", "real agent", "agent please",
    "representative", "customer service rep", "a rep", "your manager", "a manager",
    "the manager", "supervisor", "transfer me", "put me through", "connect me to",
    "connect me with", "talk to someone", "speak to someone", "speak with someone",
    "chat with someone", "talk to somebody", "speak to somebody", "chat with somebody",
    "someone on the phone", "somebody on the phone", "someone call me", "somebody call me",
    "call me back", "give me a call", "ring me back", "phone me back", "from your team",
    "of your team", "member of staff", "to staff", "your staff", "anyone there",
    "anybody there", "anyone alive", "anybody alive", "anyone real", "anybody real",
    "not a bot", "not to a bot", "not with a bot", "talk to a bot", "talk with a bot",
    "chat with a bot", "speak to a bot", "than a bot", "not this bot", "enough of this bot",
    "sick of this bot", "not an article", "no more articles",
    // whether anyone reads the chat at all
    "anyone reading", "anybody reading", "anyone read this", "anybody read this",
    "anyone read these", "anybody read these", "anyone on the other end",
    "anybody on the other end",
];

static ENGLISH_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(ENGLISH));

/// Whole messages that are a request on their own (elsewhere these words mean other things:
/// "operator" is also the network, "agent" a travel agent).
const ENGLISH_ALONE: &[&str] = &["agent", "operator", "person", "rep", "staff", "someone"];

#[rustfmt::skip]
const CHINESE: &[&str] = &[
    "人工", "真人", "活人", "工作人员", "客服人员", "经理", "主管", "有人吗", "有人在吗",
    "有没有人", "找个人", "我要找人", "回个电话", "打电话给我", "给我打电话", "给我回电",
    "不想跟机器人", "别发文章",
    // whether anyone reads or answers the chat at all
    "有人看吗", "有人回吗", "有人回复吗", "有人理我吗", "有没有人看", "有没有人回",
];

/// Whole messages that are a request on their own. (`rgkf`, 人工客服 typed as pinyin initials,
/// is spelled out before [`CHINESE`] is read: [`chinese::chat_initials_spelled_out`].)
const CHINESE_ALONE: &[&str] = &["客服"];

/// Words that contain a request phrase without being one (人工智能 is "AI", 人工费 a labour
/// fee); 人工 alone (转人工, 人工客服, 转一下人工) is the everyday word for a person at the desk.
const CHINESE_NOT: &[&str] = &["人工智能", "人工费"];

/// The phrase by which `text` asks for a person, if it does.
pub fn asks_for_person(text: &str) -> Option<&'static str> {
    let lower = phrases::lowered(text);
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    if let Some(word) = ENGLISH_ALONE
        .iter()
        .chain(CHINESE_ALONE)
        .find(|w| **w == bare)
    {
        return Some(word);
    }
    if let Some((_, phrase)) = ENGLISH_SET.found(&lower).first() {
        return Some(phrase);
    }
    let mut mandarin = chinese::mandarin(&chinese::chat_initials_spelled_out(&lower));
    for word in CHINESE_NOT {
        mandarin = mandarin.replace(word, " ");
    }
    CHINESE.iter().find(|p| mandarin.contains(**p)).copied()
}

/// Ways of asking how to reach the support desk: its number, its hours, its address.
#[rustfmt::skip]
const ENGLISH_CONTACT: &[&str] = &[
    "phone number", "contact number", "number to call", "number do i call", "number do i ring",
    "number should i call", "number can i call", "number can i ring", "hotline", "helpline",
    "call centre", "call center", "opening hours", "open hours", "opening times", "support hours",
    "service hours", "your hours", "what hours", "are you open", "when are you open",
    "lines open", "lines close", "phone lines", "support number", "service number",
    "support email", "what time do you open", "what time do you close", "contact details",
    "email address",
    "how do i contact", "how can i contact", "how to contact", "how do i reach",
    "how can i reach", "how do i get in touch", "how can i get in touch",
];

static ENGLISH_CONTACT_SET: LazyLock<PhraseSet> =
    LazyLock::new(|| PhraseSet::english(ENGLISH_CONTACT));

/// An English contact question may also name the desk (never "support" alone: "does my phone
/// support wifi calling") and when it is open: "What time is customer support open on Sundays?".
#[rustfmt::skip]
const ENGLISH_DESK: &[&str] = &[
    "customer support", "customer service", "customer services", "customer care", "support team",
    "support line", "support desk", "help desk", "helpdesk", "call centre", "call center",
    "phone line", "phone lines",
];

static ENGLISH_DESK_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(ENGLISH_DESK));

#[rustfmt::skip]
const ENGLISH_WHEN_OPEN: &[&str] = &[
    "open", "opens", "close", "closes", "hours", "weekend", "weekends", "sunday", "sundays",
    "saturday", "saturdays", "holiday", "holidays",
];

/// A Chinese contact question names the desk (客服, 人工, 你们) and what the customer wants of it.
const CHINESE_DESK: &[&str] = &["客服", "人工", "你们", "kf", "热线"];
const CHINESE_CONTACT: &[&str] = &[
    "电话",
    "热线",
    "号码",
    "联系方式",
    "怎么联系",
    "几点",
    "上班时间",
    "营业时间",
    "邮箱",
];

/// Asking to be called is a request for a person, however it is worded.
const CALL_ME: &[&str] = &[
    "call me",
    "ring me",
    "phone me",
    "give me a call",
    "打电话给我",
    "给我打电话",
    "回个电话",
    "给我回电",
    "打给我",
];

/// Whether `text` asks how to reach the support desk ("customer service phone number", "客服电话
/// 多少", "when is your call centre open"): the knowledge base answers that, and the person is
/// one click away in the reply. Asking to be called back is not such a question.
pub fn asks_how_to_reach_us(text: &str) -> bool {
    let lower = phrases::lowered(text);
    let mandarin = chinese::mandarin(&lower);
    if CALL_ME.iter().any(|p| mandarin.contains(p)) {
        return false;
    }
    if !ENGLISH_CONTACT_SET.found(&lower).is_empty() {
        return true;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if !ENGLISH_DESK_SET.found(&lower).is_empty()
        && words.iter().any(|w| ENGLISH_WHEN_OPEN.contains(w))
    {
        return true;
    }
    CHINESE_DESK.iter().any(|p| mandarin.contains(p))
        && CHINESE_CONTACT.iter().any(|p| mandarin.contains(p))
}

#[cfg(test)]
mod tests {
    use super::{asks_for_person, asks_how_to_reach_us};

    #[test]
    fn questions_about_reaching_the_desk_are_told_from_requests_to_be_called() {
        for text in [
            "customer service phone number",
            "when r ur call centre open",
            "what are the support hours?",
            "what number do I ring from a landline?",
            "客服电话多少",
            "人工客服热线是多少",
            "你们几点下班",
            "What time is customer support open on Sundays?",
            "is the customer service team open at weekends",
        ] {
            assert!(asks_how_to_reach_us(text), "{text}");
        }
        for text in [
            "can someone call me back",
            "请安排客服给我回个电话",
            "能打电话给我吗",
            "转人工",
            "I want to talk to a human",
        ] {
            assert!(!asks_how_to_reach_us(text), "{text}");
        }
    }

    #[test]
    fn requests_in_other_words_are_found_in_both_languages() {
        for text in [
            "put me through to someone",
            "hello? is there a human there?",
            "is anyone real reading this?",
            "Operator!",
            "麻烦转一下人工，账单的事",
            "有真人吗",
            "唔該轉人工",
            "rgkf",
            "zr吗",
            "转rg",
            "I don't want to talk to a bot",
            "I'd sooner wait than talk to a bot",
            "sick of this bot",
            "does anybody read these messages?",
            "这条消息有人看吗",
            "发了半天有人回吗",
        ] {
            assert!(asks_for_person(text).is_some(), "{text}");
        }
    }

    #[test]
    fn questions_about_the_bot_and_everyday_questions_are_not_requests() {
        for text in [
            "are you a bot?",
            "am I chatting with a bot right now",
            "so I'm talking to a bot?",
            "这是人工智能在回复吗",
            "你是智能客服吧",
            "can I pay my bill in person at a store?",
            "how much per person on the family plan?",
            "which network operator covers rural areas best?",
            "维修的人工费怎么算",
            "客服电话是多少",
            "can anyone read my texts if they have my sim?",
            "有人看得到我的通话记录吗",
        ] {
            assert_eq!(asks_for_person(text), None, "{text}");
        }
    }
}
