//! Questions about the bot itself, in words the intent classifier reads as something else: "can
//! you actually make changes to my account or just answer questions?" (an account question to the
//! model), "Did Kestrel build you themselves?" (a greeting), "你会说中文吗". The classifier's
//! `bot_identity` examples cover the common ways of asking what the bot is; adding the rarer ones
//! to them pulled domain questions that mention "you" toward small talk. These are stock phrases,
//! so they are listed here and answered as `bot_identity` (the honest answer: the operator's
//! virtual assistant, what it can help with, a person one click away).
//!
//! Two kinds of phrase. Closed ones say by themselves that the subject is the bot ("are you a
//! bot", "who built you", "do you speak", "只能回答问题") and count anywhere in the message. Open
//! ones ("what can you do", "你能做什么") are about the bot only when nothing follows them but
//! filler: "what can you do about my bill" is a billing complaint.

use std::sync::LazyLock;

use super::words::latin_words;
use crate::escalation::phrases::{PhraseSet, lowered};
use crate::nlu::chinese;

/// English phrases whose subject is the bot wherever they stand.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    // what it is
    "are you a bot", "are you a robot", "are you a chatbot", "are you an ai", "are you ai",
    "are you a machine", "are you a computer", "are you a program", "are you automated",
    "are you an automated", "are you chatgpt", "are you gpt", "are you a virtual",
    "are you just a bot", "are you just an ai", "are you actually a bot", "are you actually an ai",
    "are you a real bot", "is this a bot", "is this a robot", "is this a chatbot", "is this an ai",
    "is this ai", "is this an automated reply", "is this an automated response", "is this chatgpt",
    "is this a machine", "is this chat a bot", "is it a bot",
    "is it an ai", "am i talking to a bot", "am i talking to an ai", "am i talking to a machine",
    "am i talking to a robot", "am i talking to a computer", "am i chatting with a bot",
    "am i chatting with an ai", "am i chatting to a bot", "am i chatting to an ai",
    "am i speaking to a bot", "am i speaking with a bot", "am i speaking to an ai",
    "am i messaging a bot", "you're a bot", "you are a bot", "you're an ai", "you are an ai",
    "you're a robot", "you are a robot", "you're just a bot", "you are just a bot",
    // its name
    "what's your name", "whats your name", "what is your name", "what's ur name",
    "whats ur name", "do you have a name", "what should i call you", "what do i call you",
    "what are you called", "are you called",
    // who made it
    "who made you", "who built you", "who created you", "who programmed you", "who developed you",
    "who designed you", "who trained you", "who owns you", "who wrote you", "who coded you",
    "build you", "built you", "created you", "programmed you", "trained you", "developed you",
    "designed you", "coded you", "made this bot", "built this bot", "made this chatbot",
    "built this chatbot", "behind this bot", "behind this chatbot", "what model are you",
    "which model are you", "what ai are you", "which ai are you", "what ai is this",
    "which ai is this", "what model is this", "which model is this", "what llm", "which llm",
    "are you based on", "are you powered by", "are you built on", "are you using gpt",
    "are you openai", "is this gpt", "is this openai",
    // what it can do
    "just answer questions", "only answer questions", "just answer general",
    "only answer general", "answer questions only", "just give answers", "only give answers",
    "just a faq", "only a faq", "just send articles", "only send articles",
    "can you see my account", "can u see my account", "can you access my", "can u access my",
    "do you have access to my", "can you see my details", "can you see my personal",
    "can u see my personal", "can you see my info", "can you make changes",
    "are you able to make changes", "can you change things", "do you remember",
    "can you remember", "will you remember", "do you learn from",
    // its languages
    "do you speak", "can you speak", "do you understand chinese", "do you understand mandarin",
    "do you understand cantonese", "do you understand english", "can you understand chinese",
    "can you understand mandarin", "can you understand cantonese", "can you understand english",
    "can you reply in", "can you answer in", "can you respond in", "can you talk in",
    "can you chat in", "can you write in", "what languages do you", "what languages can you",
    "which languages do you", "which languages can you", "what language do you",
    "which language do you", "what language can you",
];

static ENGLISH_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(ENGLISH));

/// English phrases about the bot only when they end the message (but for [`ENGLISH_FILLER`]).
#[rustfmt::skip]
const ENGLISH_OPEN: &[&str] = &[
    "what can you do", "what else can you do", "what can you help with",
    "what can you help me with", "what can you help us with", "what do you help with",
    "what are you able to do", "what are you able to help with", "what do you do",
    "what are you for", "how can you help", "how can you help me", "how do you work",
    "is this automated", "is it automated", "is this chat automated",
    "what do you cover", "what topics do you cover", "what can i ask you", "what can i ask",
    "who are you", "who is this", "what are you", "who am i talking to", "who am i talking with",
    "who am i speaking to", "who am i speaking with", "who am i chatting to",
    "who am i chatting with",
];

/// Words that may follow an open phrase without giving it a topic.
#[rustfmt::skip]
const ENGLISH_FILLER: &[&str] = &[
    "for", "me", "us", "here", "exactly", "then", "anyway", "actually", "really", "bot", "mate",
    "please", "pls", "lol", "today", "now", "tho", "though", "btw", "with", "buddy", "chatbot",
    "assistant", "again",
];

/// Chinese phrases (read as Mandarin) whose subject is the bot wherever they stand.
#[rustfmt::skip]
const CHINESE: &[&str] = &[
    // what it is
    "你是机器人", "你是不是机器人", "你是ai", "你是不是ai", "你是人工智能", "你是不是人工智能",
    "你是程序", "你是自动回复", "你是不是自动回复", "你是chatgpt", "你是gpt", "是机器人吗",
    "是不是机器人", "是机器人吧", "是机器人回复", "机器人回复的吗", "是ai吗", "是ai回复",
    "是不是ai", "是自动回复吗", "是不是自动回复", "自动回复的吗", "是人工智能吗", "你是虚拟",
    "你是智能客服", "你是ai客服", "你是机器人客服", "是智能客服吗", "是机器人客服",
    // its name
    "你叫什么", "你叫啥", "你的名字", "你名字", "怎么称呼你", "你怎么称呼", "你是谁", "你是哪位",
    // who made it
    "谁开发的你", "谁做的你", "谁造的你", "谁训练的你", "谁写的你", "谁设计的你", "你是哪家",
    "你是哪个公司", "你是什么公司", "你是什么模型", "你是哪个模型", "你用的什么模型",
    "你用的是什么模型", "你是什么大模型", "你是基于", "你基于什么", "你背后是", "你底层",
    // what it can do (not 你记得 alone: "你记得帮我查一下" is "remember to")
    "只能回答", "只会回答", "只能回复", "只会回复", "只能解答", "只会解答", "你能看到我的账户",
    "你看得到我的账户", "你能看到我的个人", "你看得到我的个人", "你能查到我的个人", "你查得到我的个人",
    "你能访问我的", "你记得我", "你还记得", "你能记住", "你会记住", "你记不记得", "你有记忆",
    // who made it, said the other way round ("哪家公司做的你", "谁开发的这个助手")
    "做的你", "开发的你", "研发的你", "造的你", "开发的这个助手", "做的这个助手", "开发的这个机器人",
    "做的这个机器人",
    "你主要负责", "你负责哪", "你做不到", "你有啥做不到", "你有什么做不到",
    // its languages (你会说 and 你能讲 only with a language named: see LANGUAGES_ZH)
    "你懂中文", "你懂英", "你懂粤语",
    "你懂广东话", "你听得懂", "你听懂", "你看得懂", "你能用中文", "你可以用中文", "你能用英文",
    "你可以用英文", "你能用英语", "你可以用英语", "你会中文", "你会英文", "你会英语", "你会粤语",
    "你会广东话",
];

/// Languages, and the words of a chat in one: with "you" (not 你们, the company), a question about
/// the languages the bot reads and writes ("do u speak spanish", "你能全程用中文答我吗").
#[rustfmt::skip]
const LANGUAGES_EN: &[&str] = &[
    "language", "languages", "english", "chinese", "mandarin", "cantonese", "spanish", "french",
    "german", "japanese", "korean", "hindi", "arabic", "portuguese",
];
#[rustfmt::skip]
const LANGUAGES_ZH: &[&str] = &[
    "中文", "英文", "英语", "粤语", "广东话", "普通话", "日语", "日文", "韩语", "语言", "拼音", "繁体",
    "简体",
];
const ENGLISH_YOU: &[&str] = &["you", "u", "ya", "we"];
#[rustfmt::skip]
const ENGLISH_CHAT: &[&str] = &[
    "speak", "talk", "write", "type", "reply", "respond", "answer", "understand", "chat", "read",
];
const CHINESE_CHAT: &[&str] = &[
    "说", "讲", "懂", "用", "答", "回", "看", "听", "支持", "会", "speak",
];
/// A question about a language of the desk, not of the bot ("do you have customer service in
/// Chinese", "你们有英文客服吗").
#[rustfmt::skip]
const DESK_EN: &[&str] = &[
    "service", "staff", "agent", "agents", "someone", "anyone", "people", "person", "team", "rep",
];
const DESK_ZH: &[&str] = &["客服", "人工", "员工", "你们"];

/// An English language name used as one: "language(s)", or a name just after "in" or a chat word
/// ("in simplified chinese", "speak spanish"), not an adjective ("the french revolution").
fn names_a_language(words: &[&str]) -> bool {
    words.iter().enumerate().any(|(at, word)| {
        if word.starts_with("language") {
            return true;
        }
        let before = &words[at.saturating_sub(2)..at];
        LANGUAGES_EN.contains(word)
            && before
                .iter()
                .any(|w| *w == "in" || ENGLISH_CHAT.contains(w))
    })
}

/// "Are you" (and its spellings) a few words before a word for a bot: "are you some kind of bot",
/// "r u like an ai or something".
#[rustfmt::skip]
const ENGLISH_ARE_YOU: &[&[&str]] = &[
    &["are", "you"], &["are", "u"], &["r", "u"], &["r", "you"], &["is", "this"],
];
/// Not "automated": "is this automated payment set up right?".
const ENGLISH_BOT: &[&str] = &["bot", "robot", "chatbot", "ai", "chatgpt", "gpt"];
/// How far (in words) the word for a bot may stand from "are you".
const ENGLISH_WINDOW: usize = 5;

/// 你 ... 是 ... a word for a bot in one clause: "你该不会是机器人吧", "你其实是个ai对吧".
/// Not 机器 (a handset) or 程序 (also a procedure).
const CHINESE_BOT: &[&str] = &[
    "机器人",
    "ai",
    "人工智能",
    "自动回复",
    "智能客服",
    "虚拟助手",
    "gpt",
];

/// After 你是 in the same clause, how a question about who made the bot ends ("你是红隼自己开发的吗").
const CHINESE_MADE: &[&str] = &["开发的", "研发的", "训练的", "做的", "造的", "写的"];

/// Chinese phrases about the bot only when they end the message (but for [`CHINESE_FILLER`]).
#[rustfmt::skip]
const CHINESE_OPEN: &[&str] = &[
    "你能做什么", "你能干什么", "你能干啥", "你能做啥", "你会什么", "你会干什么", "你会做什么",
    "你会干啥", "你可以做什么", "你可以干什么", "你可以干啥", "你能帮我做什么", "你能帮我干什么",
    "你能帮什么", "你能帮我什么", "你都能做什么", "你都能干什么", "你都会什么", "你还能做什么",
    "你还会什么", "你有什么用", "你有啥用", "你是干什么的", "你是干嘛的", "你是做什么的",
    "你能帮上什么", "你可以帮我做什么", "你可以帮我什么", "你能处理什么", "你可以处理什么",
    "你能回答什么", "你都能回答什么", "你能办什么", "你可以办什么", "你能办理什么",
    "我可以问你什么", "我能问你什么", "可以问你什么", "能问你什么", "你管什么", "你负责什么",
];

/// Pieces that may follow an open Chinese phrase without giving it a topic.
#[rustfmt::skip]
const CHINESE_FILLER: &[&str] = &[
    "问题", "业务", "事情", "东西", "呢", "吗", "啊", "呀", "吧", "哦", "嘛", "么", "啦", "的", "哈",
    "事", "呐",
];

/// Whether `text` asks about the bot itself: what it is, its name, who made it, what it can do,
/// which languages it speaks.
pub fn asks_about_the_bot(text: &str) -> bool {
    let lower = lowered(text);
    let words: Vec<&str> = latin_words(&lower).collect();
    if !ENGLISH_SET.found(&lower).is_empty()
        || ends_with_open_english(&words)
        || asks_whether_it_is_a_bot(&words)
        || asks_who_made_you(&words)
    {
        return true;
    }
    let mandarin = chinese::mandarin(&chinese::chat_initials_spelled_out(&lower));
    CHINESE.iter().any(|phrase| mandarin.contains(phrase))
        || is_a_bare_bot_word(&mandarin)
        || asks_if_you_are_a_bot(&mandarin)
        || asks_who_made_it(&mandarin)
        || ends_with_open_chinese(&mandarin)
        || asks_which_languages(&words, &mandarin)
}

/// A language named beside "you" and a chat word, with no word for the desk's staff.
fn asks_which_languages(words: &[&str], mandarin: &str) -> bool {
    let has_word = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let has_piece = |list: &[&str]| list.iter().any(|p| mandarin.contains(p));
    let names_language = names_a_language(words) || has_piece(LANGUAGES_ZH);
    if !names_language || has_word(DESK_EN) || has_piece(DESK_ZH) {
        return false;
    }
    let english = has_word(ENGLISH_YOU) && has_word(ENGLISH_CHAT);
    let chinese = mandarin.contains('你') && has_piece(CHINESE_CHAT);
    english || chinese
}

/// An open English phrase followed by nothing but filler words.
fn ends_with_open_english(words: &[&str]) -> bool {
    let ends_at = |end: usize| {
        ENGLISH_OPEN.iter().any(|phrase| {
            let phrase: Vec<&str> = phrase.split(' ').collect();
            end >= phrase.len() && words[end - phrase.len()..end] == phrase[..]
        })
    };
    // Each end the filler leaves: "with" is filler, and the last word of "what can you help with".
    let mut end = words.len();
    loop {
        if ends_at(end) {
            return true;
        }
        if end == 0 || !ENGLISH_FILLER.contains(&words[end - 1]) {
            return false;
        }
        end -= 1;
    }
}

/// Verbs of making, for a question about who made the bot ("did kestrel make you").
const ENGLISH_MAKE: &[&str] = &[
    "make", "made", "makes", "build", "create", "design", "develop", "program", "train",
];
/// A question word one of which comes before the verb.
const ENGLISH_ASKING: &[&str] = &["did", "does", "who", "which", "what"];
/// What may follow "make you" in such a question; any other word gives it an object ("did the
/// shop make you pay").
const ENGLISH_MADE_END: &[&str] = &["or", "themselves", "yourself", "then", "really", "actually"];

/// A verb of making, then "you" at the end of the message or before [`ENGLISH_MADE_END`], after a
/// question word: "did kestrel make you", "did they make you themselves".
fn asks_who_made_you(words: &[&str]) -> bool {
    words.windows(2).enumerate().any(|(at, pair)| {
        ENGLISH_MAKE.contains(&pair[0])
            && (pair[1] == "you" || pair[1] == "u")
            && words
                .get(at + 2)
                .is_none_or(|next| ENGLISH_MADE_END.contains(next))
            && words[..at].iter().any(|w| ENGLISH_ASKING.contains(w))
    })
}

/// "Are you" followed within a few words by a word for a bot.
fn asks_whether_it_is_a_bot(words: &[&str]) -> bool {
    (0..words.len()).any(|at| {
        let Some(frame) = ENGLISH_ARE_YOU.iter().find(|f| words[at..].starts_with(f)) else {
            return false;
        };
        let after = at + frame.len();
        let window = &words[after..(after + ENGLISH_WINDOW).min(words.len())];
        window.iter().any(|w| ENGLISH_BOT.contains(w))
    })
}

/// 你 (not 你们, the company) then 是 then a word for a bot, in one clause.
fn asks_if_you_are_a_bot(mandarin: &str) -> bool {
    clauses_after(mandarin, "你").any(|clause| {
        !clause.starts_with('们')
            && clause.find('是').is_some_and(|at| {
                let rest = &clause[at..];
                CHINESE_BOT.iter().any(|bot| rest.contains(bot))
            })
    })
}

/// The whole message is a word for a bot, perhaps after 是 and before particles: "机器人？",
/// "是ai吗", "jqr吗" (spelled out as 机器人吗).
fn is_a_bare_bot_word(mandarin: &str) -> bool {
    let mut rest: String = mandarin.chars().filter(|c| c.is_alphanumeric()).collect();
    while let Some(filler) = CHINESE_FILLER.iter().find(|f| rest.ends_with(*f)) {
        rest.truncate(rest.len() - filler.len());
    }
    CHINESE_BOT.contains(&rest.trim_start_matches('是'))
}

/// The rest of the clause after each `word` in `text` (up to the next punctuation or space).
fn clauses_after<'t>(text: &'t str, word: &'t str) -> impl Iterator<Item = &'t str> {
    text.match_indices(word).map(move |(at, found)| {
        text[at + found.len()..]
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or_default()
    })
}

/// 你是 ... 开发的 / 做的 in one clause.
fn asks_who_made_it(mandarin: &str) -> bool {
    clauses_after(mandarin, "你是")
        .any(|clause| CHINESE_MADE.iter().any(|made| clause.contains(made)))
}

/// An open Chinese phrase followed by nothing but filler pieces and punctuation.
fn ends_with_open_chinese(mandarin: &str) -> bool {
    let mut rest: String = mandarin.chars().filter(|c| c.is_alphanumeric()).collect();
    loop {
        if CHINESE_OPEN.iter().any(|phrase| rest.ends_with(phrase)) {
            return true;
        }
        let Some(filler) = CHINESE_FILLER.iter().find(|f| rest.ends_with(*f)) else {
            return false;
        };
        rest.truncate(rest.len() - filler.len());
    }
}

#[cfg(test)]
mod tests;
