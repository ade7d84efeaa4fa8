//! A bare "yes" or "no" right after a turn the bot could not help with. Every such turn offers a
//! person ("Would you like me to pass you to a member of our support team?", "If you'd like to
//! talk to a person, just say so") or asks again, so "yes" takes the offer and "no" turns it
//! down. Read by the classifier instead, "yes" was out of scope and declined, and "no" was a
//! second failure that handed the customer to a person they had just refused.

/// The customer's answer to the bot's offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assent {
    Yes,
    No,
}

#[rustfmt::skip]
const YES: &[&str] = &[
    "yes", "yes please", "yes pls", "yeah", "yeah please", "yep", "yup", "y", "sure", "sure please",
    "please", "please do", "yes please do", "go ahead", "ok please", "okay please", "yes i would",
    "i would", "i would like that", "yes i would like that", "that would be great", "yes thanks",
    "yes thank you", "是", "是的", "好", "好的", "好啊", "好吧", "要", "需要", "可以", "嗯", "嗯嗯", "对",
    "行", "麻烦了", "好的麻烦了", "要的", "需要的",
];

#[rustfmt::skip]
const NO: &[&str] = &[
    "no", "no thanks", "no thank you", "nope", "nah", "not now", "no need", "no it's fine",
    "no its fine", "i'm fine", "im fine", "no that's ok", "no thats ok", "no that's okay",
    "不", "不用", "不用了", "不要", "不需要", "算了", "不了", "不用谢谢", "不用了谢谢", "暂时不用",
];

/// `text` as a bare yes or no, if it is one (punctuation, spaces and case aside).
pub fn read(text: &str) -> Option<Assent> {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let bare = words.join(" ");
    let joined = words.concat();
    let is = |list: &[&str]| list.contains(&bare.as_str()) || list.contains(&joined.as_str());
    if is(YES) {
        return Some(Assent::Yes);
    }
    is(NO).then_some(Assent::No)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_yes_or_no_is_read_in_both_languages() {
        for text in ["yes", "Yes please!", "sure", "是的", "好的，麻烦了", "嗯"] {
            assert_eq!(read(text), Some(Assent::Yes), "{text}");
        }
        for text in ["no", "No thanks.", "nope", "不用了", "不用，谢谢"] {
            assert_eq!(read(text), Some(Assent::No), "{text}");
        }
    }

    #[test]
    fn anything_more_than_a_yes_or_no_is_neither() {
        for text in [
            "yes my bill is wrong",
            "no signal",
            "好的账单呢",
            "不能上网",
            "yesterday",
        ] {
            assert_eq!(read(text), None, "{text}");
        }
    }
}
