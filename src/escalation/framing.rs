//! Questions asked ahead of time: "how can I protect my account against SIM swap fraud?",
//! "亲人去世后账户一般怎么处理？想提前了解一下", and how to block or report a nuisance
//! ("骚扰电话和诈骗电话能拦截吗", "how do I report a dodgy text pretending to be my bank"). They use
//! a sensitive situation's words, but nothing has happened to the writer yet, and the knowledge
//! base answers them. The judge asks such a message for a clearly sensitive score before it hands
//! it over (see `judge`). Phrases only, no model: the framing is a handful of stock phrases in each
//! language.

use std::sync::LazyLock;

use super::phrases::{PhraseSet, lowered};
use crate::nlu::chinese;

/// Phrases that say the question is preventive or hypothetical. Conditionals that also introduce
/// real events ("what do I do if someone took a loan in my name") are left out on purpose.
#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "protect my", "protect myself", "protect our", "protect ourselves", "protect against",
    "prevent", "prevents", "preventing", "prevention", "how to avoid", "how do i avoid",
    "how can i avoid", "how to spot", "how do i spot", "how can i spot", "how can i tell if",
    "in the future", "for the future", "for future reference", "just in case", "hypothetically",
    "asking for a friend", "ahead of time", "so i know", "so i'm prepared", "be prepared",
    "what would happen if",
    // making an account safer before anything happens
    "more secure", "secure my account", "keep my account safe", "keep my account secure",
    "make my account safer", "extra security",
    // blocking or reporting a nuisance: keeping it away, not something that was done to the writer
    "how do i block", "how can i block", "how to block", "can you block", "can i block",
    "how do i report", "how can i report", "how to report", "where do i report",
    "where can i report", "where do i forward", "can you filter",
];

/// English phrases on word boundaries ("so i know" is not in "also i know").
static ENGLISH_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(ENGLISH));

#[rustfmt::skip]
const CHINESE: &[&str] = &[
    "防止", "怎么防", "如何防", "预防", "防范", "怎么避免", "如何避免", "怎么识别", "如何识别",
    "怎么辨别", "提前了解", "先了解一下", "以防万一", "万一以后", "以后万一", "假如", "假设",
    "问问而已", "了解一下政策", "提前防", "防着", "更安全", "加强安全",
    // blocking or reporting a nuisance
    "拦截", "屏蔽", "拉黑", "举报",
];

/// Whether `text` frames its question as preventive or hypothetical.
pub fn asks_in_advance(text: &str) -> bool {
    let lower = lowered(text);
    let mandarin = chinese::mandarin(&lower);
    !ENGLISH_SET.found(&lower).is_empty() || CHINESE.iter().any(|phrase| mandarin.contains(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preventive_and_hypothetical_questions_are_asked_in_advance() {
        for text in [
            "How can I protect my account against SIM swap fraud?",
            "If a relative passes away, what happens to their account? Asking so I know for the future.",
            "怎么防止别人冒用我的身份补卡盗号",
            "亲人去世后账户一般怎么处理？想提前了解一下政策",
            "手機被偷了第一步該幹嘛？問一下以防萬一",
            "any tips for preventing sim swap scams?",
            "骚扰电话和诈骗电话能拦截吗",
            "how do i report a dodgy text pretending to be my bank",
            "people get their SIM hijacked, what can I do to make my account more secure?",
            "听说有人冒充机主补卡，我怎么提前防着",
        ] {
            assert!(asks_in_advance(text), "{text}");
        }
    }

    #[test]
    fn situations_happening_now_are_not() {
        for text in [
            "someone swapped my SIM last night and emptied my bank account",
            "My mum died on Sunday. How do I stop her bills coming out of her account?",
            "有人冒用我的身份办了合约，我根本没办过",
            "what do I do if someone took out a contract in my name?",
            "my husband knows my pin and also i know he reads my texts",
        ] {
            assert!(!asks_in_advance(text), "{text}");
        }
    }
}
