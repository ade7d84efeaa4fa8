//! Questions about how complaints work: "what's the complaint procedure?", "is the ombudsman
//! free?", "投诉到监管机构和你们内部投诉有什么区别". They carry the words of an angry customer's
//! threat (complaint, ombudsman, regulator, 投诉, 监管), which the lexicon counts as negative and
//! the scorer reads as a threat, yet they ask how the process goes, and the knowledge base has
//! the articles (how to complain, when to go to the ombudsman). The judge holds anger back for
//! such a question unless it is clearly angry (see `judge`): the bot answers, a person stays one
//! click away, and a second annoyed message hands over.
//!
//! A threat is not a question about the process, however it is phrased: "I'm going to the
//! ombudsman", "already reported you", "再不退钱我就去投诉", "投诉你们" keep the scorer's verdict.
//! Phrases only, no model.

use std::sync::LazyLock;

use super::phrases::{PhraseSet, lowered};
use crate::nlu::chinese;

/// Words of the complaint process: at least one must be there.
#[rustfmt::skip]
const COMPLAINT_EN: &[&str] = &[
    "complain", "complaint", "complaints", "ombudsman", "regulator", "consumer affairs",
];

/// The words the sentiment lexicon counts against the customer that a question about the process
/// needs: any other negative word ("useless", "垃圾") is anger, not a question.
pub const LEXICON_WORDS: &[&str] = &["complain", "complaint", "投诉"];

static COMPLAINT_EN_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(COMPLAINT_EN));

/// Phrases that ask how something goes.
#[rustfmt::skip]
const PROCESS_EN: &[&str] = &[
    "procedure", "process", "how do i", "how can i", "how to", "where do i", "where can i",
    "who do i", "how does", "what does", "is it free", "is the ombudsman free", "free of charge",
    "difference between", "how long", "when can i", "can i take", "can i go", "what happens",
    "what do i need", "next step", "next steps",
];

static PROCESS_EN_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(PROCESS_EN));

#[rustfmt::skip]
const COMPLAINT_ZH: &[&str] = &[
    "投诉", "申诉", "监管", "工信部", "通管局", "消协", "消委会", "12315", "申诉专员",
];

#[rustfmt::skip]
const PROCESS_ZH: &[&str] = &[
    "流程", "渠道", "入口", "怎么", "如何", "在哪", "去哪", "找谁", "区别", "要不要钱", "收费吗",
    "免费吗", "多久", "需要什么", "要准备", "下一步",
];

/// Phrases that announce or threaten a complaint rather than ask about one.
#[rustfmt::skip]
const THREAT_EN: &[&str] = &[
    "i'm going to", "im going to", "i am going to", "i'll", "i will", "or i'm", "or i", "unless",
    "already reported", "already complained", "i've reported", "i have reported", "reporting you",
    "report you", "i'm filing", "i've filed", "i have filed", "going straight to", "see you",
];

static THREAT_EN_SET: LazyLock<PhraseSet> = LazyLock::new(|| PhraseSet::english(THREAT_EN));

#[rustfmt::skip]
const THREAT_ZH: &[&str] = &[
    "我要去", "我就去", "准备去", "就去", "已经投诉", "已经在", "已经向", "投诉你们", "告你们",
    "信不信", "看着办", "再不", "不然", "否则", "等着",
];

/// Whether `text` asks how complaining works, with no threat in it.
pub fn asks_how_complaints_work(text: &str) -> bool {
    let lower = lowered(text);
    let mandarin = chinese::mandarin(&lower);
    let english =
        !COMPLAINT_EN_SET.found(&lower).is_empty() && !PROCESS_EN_SET.found(&lower).is_empty();
    let chinese = COMPLAINT_ZH.iter().any(|word| mandarin.contains(word))
        && PROCESS_ZH.iter().any(|phrase| mandarin.contains(phrase));
    let asks = english || chinese;
    let threatens = !THREAT_EN_SET.found(&lower).is_empty()
        || THREAT_ZH.iter().any(|phrase| mandarin.contains(phrase));
    asks && !threatens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_the_complaint_process_ask_how_complaints_work() {
        for text in [
            "what's the complaint procedure if I'm not happy with a repair?",
            "Is the ombudsman free, and how long before I can go to them?",
            "my complaint has been open 8 weeks, how do I escalate it?",
            "投诉到监管机构和你们内部投诉有什么区别",
            "想了解一下投诉流程，一般多久处理",
            "申诉专员那边收费吗",
        ] {
            assert!(asks_how_complaints_work(text), "{text}");
        }
    }

    #[test]
    fn threats_and_complaints_already_made_do_not() {
        for text in [
            "sort out my bill or I'm going to the ombudsman",
            "I've already reported you to the regulator, how do I escalate this?",
            "what's the difference between you and a scam? I'm going to the ombudsman",
            "再不退钱我就去工信部投诉，投诉流程我都查好了",
            "我已经投诉了，怎么申诉更快",
            "my bill is wrong, how do I pay it",
            "what's the difference between the 20GB and unlimited plans?",
        ] {
            assert!(!asks_how_complaints_work(text), "{text}");
        }
    }
}
