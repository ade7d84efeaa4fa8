//! Chinese as customers write it, read as the training examples, lexicons and articles are
//! written: simplified Mandarin. Two tables, not a full converter: traditional characters to
//! simplified ones (OpenCC's character table, no phrase rules), and the Cantonese and Taiwanese
//! words customers type for common Mandarin ones (唔 -> 不, 點樣 -> 怎么, 幾時 -> 什么时候,
//! 簡訊 -> 短信). What a table does not know passes through unchanged. The classifier's features,
//! the search index's analyzer and the escalation cues all read [`mandarin`]; the transcript keeps
//! what the customer wrote.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::features::is_cjk;

/// Traditional -> simplified, one pair per line: OpenCC's character table (see the file's header).
const TS_CHARACTERS: &str = include_str!("ts_characters.txt");

/// Where support messages need another reading than OpenCC's first one: 帳 is almost always an
/// account or a bill (账), not a tent (帐).
const OVERRIDES: &[(char, char)] = &[('帳', '账')];

/// Left as written: in Cantonese 係 is "to be" (是), which [`WORDS`] reads; OpenCC's 系 would
/// turn it into "system" or "department".
const KEPT: &[char] = &['係'];

fn table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<char, char> = TS_CHARACTERS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut chars = line.chars();
                Some((chars.next()?, chars.next()?))
            })
            .collect();
        table.extend(OVERRIDES.iter().copied());
        for kept in KEPT {
            table.remove(kept);
        }
        table
    })
}

/// `text` with every traditional character the table knows replaced by its simplified form.
pub fn simplified(text: &str) -> String {
    let table = table();
    text.chars().map(|c| *table.get(&c).unwrap_or(&c)).collect()
}

/// Cantonese and Taiwanese words (in simplified characters) and their Mandarin equivalents. The
/// longest key wins at each position, so 唔好意思 is read before 唔. Only words that are not
/// also ordinary Mandarin: 边 alone ("side") and 仲 alone (仲裁) are left, their compounds read.
#[rustfmt::skip]
const WORDS: &[(&str, &str)] = &[
    // Cantonese: negation, copula, particles, pronouns.
    ("唔好意思", "不好意思"), ("唔该", "请"), ("得唔得", "可以吗"), ("唔系", "不是"), ("唔", "不"),
    ("关係", "关系"), ("联係", "联系"), ("係", "是"), ("嘅", "的"), ("咗", "了"),
    ("冇", "没有"), ("佢哋", "他们"), ("我哋", "我们"), ("你哋", "你们"), ("佢", "他"), ("哋", "们"),
    // Cantonese: question words.
    ("点样", "怎么"), ("点解", "为什么"), ("点算", "怎么办"), ("乜嘢", "什么"), ("乜野", "什么"),
    ("咩嘢", "什么"), ("咩", "什么"), ("边度", "哪里"), ("边个", "哪个"), ("边间", "哪家"),
    ("边张", "哪张"), ("边部", "哪部"), ("几时", "什么时候"), ("几多", "多少"), ("几耐", "多久"),
    // Cantonese: common verbs, demonstratives and adverbs.
    ("喺", "在"), ("嚟", "来"), ("畀", "给"), ("俾", "给"), ("攞", "拿"), ("睇", "看"),
    ("谂", "想"), ("諗", "想"), ("搵", "找"), ("咁样", "这样"), ("咁", "这么"), ("噉", "这样"),
    ("嘢", "东西"), ("啱啱", "刚刚"), ("啱", "对"), ("嗰", "那"), ("呢个", "这个"), ("呢度", "这里"),
    ("呢张", "这张"), ("呢排", "最近"), ("呢间", "这家"), ("呢部", "这部"), ("多啲", "多点"),
    ("少啲", "少点"), ("快啲", "快点"), ("平啲", "便宜点"), ("一啲", "一些"), ("有啲", "有些"),
    ("啲", "的"), ("用晒", "用完"), ("仲有", "还有"), ("仲未", "还没"), ("仲系", "还是"),
    ("仲要", "还要"), ("琴日", "昨天"), ("寻日", "昨天"), ("听日", "明天"), ("今日", "今天"),
    ("屋企", "家"), ("老豆", "爸爸"), ("搞掂", "搞定"),
    // Taiwanese usage.
    ("网路", "网络"), ("简讯", "短信"), ("门号", "号码"), ("讯号", "信号"), ("行动网络", "移动网络"),
    ("行动网路", "移动网络"),
    ("行动数据", "移动数据"), ("绑约", "合约"), ("帐单", "账单"), ("帐号", "账号"), ("帐户", "账户"),
    ("吃到饱", "无限流量"),
];

const LONGEST_WORD: usize = 4;

/// [`WORDS`] keyed as [`mandarin`] meets them: after [`simplified`] (搵 is looked up as 揾).
fn words() -> &'static HashMap<String, &'static str> {
    static WORDS_BY_KEY: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    WORDS_BY_KEY.get_or_init(|| {
        WORDS
            .iter()
            .map(|(key, word)| (simplified(key), *word))
            .collect()
    })
}

/// `text` in simplified Mandarin: [`simplified`], then each Cantonese or Taiwanese word the table
/// knows replaced, longest first. Text without a CJK character comes back as it is.
pub fn mandarin(text: &str) -> String {
    if !text.chars().any(is_cjk) {
        return text.to_string();
    }
    let simple = simplified(text);
    // Byte offsets of every character, and the end: the words are looked up as slices.
    let bounds: Vec<usize> = simple
        .char_indices()
        .map(|(at, _)| at)
        .chain([simple.len()])
        .collect();
    let words = words();
    let mut out = String::with_capacity(simple.len());
    let mut at = 0;
    while at + 1 < bounds.len() {
        let longest = LONGEST_WORD.min(bounds.len() - 1 - at);
        let found = (1..=longest).rev().find_map(|len| {
            let key = &simple[bounds[at]..bounds[at + len]];
            words.get(key).map(|word| (len, *word))
        });
        let (len, read) = found.unwrap_or((1, &simple[bounds[at]..bounds[at + 1]]));
        out.push_str(read);
        at += len;
    }
    out
}

/// Pinyin initials customers type for the words of a chat with the desk itself, when switching
/// the input method is slower than typing Latin letters: `jqr吗` is 机器人吗 ("a bot?"), `zrg` is
/// 转人工 ("a person, please"). The knowledge base reads the initials of its own words (`tc`,
/// `xhzw`); these are words no article uses.
const CHAT_INITIALS: &[(&str, &str)] = &[
    ("jqr", "机器人"),
    ("rgkf", "人工客服"),
    ("zrg", "转人工"),
    ("rg", "人工"),
    ("zr", "真人"),
];

/// `text` with each run of Latin letters and digits that is one of [`CHAT_INITIALS`] spelled out
/// in characters, if the text has a Chinese character or is nothing but that run ("rgkf",
/// "jqr?"): in English, "RG6 cable" or "the ZR model" are not pinyin. Other runs come back as
/// written.
pub fn chat_initials_spelled_out(text: &str) -> String {
    let bare = text.trim_matches(|c: char| !c.is_alphanumeric());
    if !text.chars().any(is_cjk) && !bare.chars().all(|c| c.is_ascii_alphabetic()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
            continue;
        }
        push_spelled_out(&mut out, &run);
        run.clear();
        out.push(c);
    }
    push_spelled_out(&mut out, &run);
    out
}

/// A run of Latin letters and digits, spelled out if it is one of [`CHAT_INITIALS`].
fn push_spelled_out(out: &mut String, run: &str) {
    let lower = run.to_ascii_lowercase();
    match CHAT_INITIALS
        .iter()
        .find(|(initials, _)| *initials == lower)
    {
        Some((_, word)) => out.push_str(word),
        None => out.push_str(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(simplified("你是機器人嗎"), "你是机器人吗");
        assert_eq!(simplified("hello 你好"), "hello 你好");
        assert_eq!(
            simplified("家裡要裝光纖，工程師來要弄多久"),
            "家里要装光纤，工程师来要弄多久"
        );
    }

    #[test]
    fn cantonese_characters_the_word_table_reads_survive_simplification() {
        assert_eq!(mandarin("我係新客戶"), "我是新客户");
        assert_eq!(mandarin("搵邊個"), "找哪个");
        assert_eq!(mandarin("嗰張卡"), "那张卡");
        assert_eq!(mandarin("對帳單"), "对账单");
    }

    #[test]
    fn cantonese_is_read_as_mandarin() {
        assert_eq!(mandarin("我份約幾時完"), "我份约什么时候完");
        assert_eq!(mandarin("部機買咗十日想退得唔得"), "部机买了十日想退可以吗");
        assert_eq!(mandarin("點樣加多啲data"), "怎么加多点data");
        assert_eq!(
            mandarin("唔好意思，我冇收到簡訊"),
            "不好意思，我没有收到短信"
        );
    }

    #[test]
    fn chat_initials_are_spelled_out_only_as_whole_runs() {
        assert_eq!(chat_initials_spelled_out("jqr吗"), "机器人吗");
        assert_eq!(chat_initials_spelled_out("你是JQR？"), "你是机器人？");
        assert_eq!(chat_initials_spelled_out("要zr 客服"), "要真人 客服");
        assert_eq!(chat_initials_spelled_out("jqrs and zrgx"), "jqrs and zrgx");
        assert_eq!(chat_initials_spelled_out("jqrs和zrgx吗"), "jqrs和zrgx吗");
        assert_eq!(chat_initials_spelled_out("rg"), "人工");
        assert_eq!(chat_initials_spelled_out("RG6线能用吗"), "RG6线能用吗");
        assert_eq!(
            chat_initials_spelled_out("is rg 6 coax ok"),
            "is rg 6 coax ok"
        );
    }

    #[test]
    fn reading_twice_changes_nothing_more() {
        for (word, _) in WORDS {
            let once = mandarin(word);
            assert_eq!(mandarin(&once), once, "{word}");
        }
        let sentence = "行动网路唔得，簡訊都收唔到";
        let once = mandarin(sentence);
        assert_eq!(mandarin(&once), once);
    }

    #[test]
    fn mandarin_words_that_look_cantonese_are_kept() {
        assert_eq!(mandarin("我要申请仲裁"), "我要申请仲裁");
        assert_eq!(mandarin("旁边那边有信号"), "旁边那边有信号");
        assert_eq!(mandarin("没关係"), "没关系");
        assert_eq!(mandarin("plain english"), "plain english");
    }
}
