//! A message that only says whose line, phone or account it is: "it's not mine, it's my dad's",
//! "the account is my husband's", "不是我的，是我爸的", "户主是我老公". Mid-conversation it answers
//! "is this your account?", and the bot's reply depends on it (the account holder has to ask), but
//! nothing has happened to anybody. The scorer reads the words otherwise: "not mine" and "不是我"
//! as a charge the customer disowns (fraud, 0.41 and 0.87 against thresholds of 0.25 and 0.22), a
//! spouse on the account as a safety worry. The judge does not take such a message for a sensitive
//! situation unless it also carries a cue of one (a death, a threat, an ex-partner, a contract in
//! the writer's name); the turn that tells what happened is judged on its own words.
//! Word lists only, no model, as [`framing`](super::framing).

use super::cues::Found;
use super::phrases::lowered;
use crate::nlu::chinese;

/// The relatives and others a line is commonly held by.
#[rustfmt::skip]
const ENGLISH_HOLDERS: &[&str] = &[
    "mum", "mom", "mother", "dad", "father", "husband", "wife", "partner", "son", "daughter",
    "brother", "sister", "gran", "grandma", "grandmother", "grandad", "grandpa", "grandfather",
    "nan", "uncle", "aunt", "auntie", "cousin", "niece", "nephew", "boss", "employer", "company",
    "girlfriend", "boyfriend", "fiance", "fiancee", "kid", "child", "parents", "friend",
    "flatmate", "mother-in-law", "father-in-law", "stepdad", "stepmum", "stepmom",
];

/// What a possessive may be followed by and still name the thing owned ("my dad's line").
const ENGLISH_OWNED: &[&str] = &[
    "line", "phone", "account", "number", "sim", "contract", "plan", "name", "mobile",
];

#[rustfmt::skip]
const CHINESE_HOLDERS: &[&str] = &[
    "爸爸", "妈妈", "爸", "妈", "老公", "老婆", "丈夫", "妻子", "儿子", "女儿", "哥哥", "姐姐",
    "弟弟", "妹妹", "哥", "姐", "弟", "妹", "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷",
    "老板", "男朋友", "女朋友", "孩子", "父母", "爸妈", "公公", "婆婆", "岳父", "岳母", "舅舅",
    "叔叔", "阿姨", "姑姑", "朋友", "同事", "公司", "家里人", "阿爸", "阿妈", "老豆",
];

/// What follows "是我爸的" or "我爸的" when it names the thing owned.
const CHINESE_OWNED: &[&str] = &["号", "卡", "账户", "帐户", "合约", "套餐", "名字", "宽带"];

/// Longer than this, a message tells a story rather than answers whose it is.
const MAX_ENGLISH_WORDS: usize = 16;
const MAX_CHINESE_CHARS: usize = 24;

/// The only cues an ownership statement may carry: the words that disown the line.
const DISOWNING_CUES: &[&str] = &["not mine", "isn't mine", "不是我"];

/// Whether `text` does no more than say whose line, phone or account it is, with no cue
/// (`found`, from [`cues::find`](super::cues::find)) of anything happening.
pub fn only_says_whose_it_is(text: &str, found: &Found) -> bool {
    let only_disowning = found
        .cues
        .iter()
        .all(|(_, cue)| DISOWNING_CUES.contains(&cue.as_str()));
    only_disowning && (names_holder_in_english(text) || names_holder_in_chinese(text))
}

fn names_holder_in_english(text: &str) -> bool {
    let lower = lowered(text);
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > MAX_ENGLISH_WORDS {
        return false;
    }
    words.windows(2).enumerate().any(|(at, pair)| {
        let holder = |word: &str| ENGLISH_HOLDERS.contains(&word);
        let possessive = pair[0] == "my"
            && pair[1]
                .strip_suffix("'s")
                .is_some_and(|w| holder(w) && owned_or_end(words.get(at + 2)));
        let holder_is = matches!(pair, ["holder" | "belongs", "is" | "to"])
            && words.get(at + 2) == Some(&"my")
            && words.get(at + 3).is_some_and(|w| holder(w));
        possessive || holder_is
    })
}

/// "my dad's" ends the clause or names the thing owned ("my dad's line"), rather than starting a
/// sentence about the dad ("my dad's been ...").
fn owned_or_end(next: Option<&&str>) -> bool {
    next.is_none_or(|w| ENGLISH_OWNED.contains(w) || *w == "not" || *w == "actually")
}

fn names_holder_in_chinese(text: &str) -> bool {
    let mandarin = chinese::mandarin(text);
    let chars = mandarin.chars().filter(|c| !c.is_whitespace()).count();
    if !mandarin.chars().any(crate::nlu::features::is_cjk) || chars > MAX_CHINESE_CHARS {
        return false;
    }
    CHINESE_HOLDERS.iter().any(|holder| {
        let ends = |rest: &str| {
            rest.chars().next().is_none_or(|c| !c.is_alphanumeric())
                || CHINESE_OWNED.iter().any(|owned| rest.starts_with(owned))
        };
        let belongs = mandarin
            .match_indices(&format!("是我{holder}的"))
            .any(|(at, m)| ends(&mandarin[at + m.len()..]));
        let holder_is = ["户主是", "机主是", "账户是", "帐户是"]
            .iter()
            .any(|head| mandarin.contains(&format!("{head}我{holder}")));
        let in_name = mandarin.contains(&format!("我{holder}名下"))
            || mandarin.contains(&format!("我{holder}的名字"));
        belongs || holder_is || in_name
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::cues;

    fn whose(text: &str) -> bool {
        only_says_whose_it_is(text, &cues::find(text))
    }

    #[test]
    fn saying_whose_line_it_is_is_only_that() {
        for text in [
            "it's not mine, it's my dad's",
            "it's my line, the account is my husband's",
            "the account holder is my wife",
            "not my phone actually, it belongs to my mum",
            "the contract's in my son's name",
            "不是我的，是我爸的",
            "是我的号，账户是我老公的",
            "户主是我妈",
            "卡在我女儿名下",
            "不是我的號，是我阿爸嘅",
        ] {
            assert!(whose(text), "{text}");
        }
    }

    #[test]
    fn a_situation_told_beside_the_holder_is_not_only_that() {
        for text in [
            "it's my dad's, he passed away on Sunday",
            "the account is my husband's and he tracks my location with it",
            "there's a contract on my account that isn't mine",
            "不是我办的，有人用我的身份证办了卡",
            "卡是我的，户主是我前夫",
            "我爸的号，他上周去世了",
            "my dad's been scammed out of his savings by someone on the phone",
            "how do I cancel a phone contract?",
        ] {
            assert!(!whose(text), "{text}");
        }
    }
}
