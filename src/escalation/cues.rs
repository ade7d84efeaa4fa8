//! Cue lexicons for the escalation scorer, English and Chinese: words and phrases that signal each
//! kind of anger and each sensitive situation. They do two jobs: the scorer takes "a cue of this
//! kind is present" as a feature (so a broad lexicon helps it generalise beyond its training
//! examples), and the cues found become the escalation's evidence. They are deliberately broad;
//! the learned head decides how much each kind counts.

use std::sync::LazyLock;

use super::phrases::{PhraseSet, lowered};
use crate::nlu::chinese;

/// The kinds of cue, in the order the scorer's features use.
pub const KINDS: [&str; 10] = [
    "fraud",
    "bereavement",
    "safety",
    "legal",
    "vulnerable",
    "sarcasm",
    "shouting",
    "repetition",
    "threat",
    "contempt",
];

#[rustfmt::skip]
const ENGLISH: [&[&str]; 10] = [
    // fraud and identity theft
    &["sim swap", "sim swapped", "swapped my sim", "without my permission", "without my consent",
      "never ordered", "didn't order", "did not order", "never requested", "didn't request",
      "did not request", "never asked for", "didn't make", "never signed", "in my name",
      "under my name", "isn't mine", "not mine", "identity theft", "identity fraud",
      "stole my identity", "identity was stolen", "stolen identity", "my identity", "fraud",
      "fraudster", "fraudsters", "fraudulent", "scammed", "scammer", "tricked", "hacked",
      "emptied", "drained", "gone from my", "taken from my bank", "debt collector",
      "debt collectors", "pretending to be", "impersonat", "unauthorised", "unauthorized",
      "someone else", "somebody", "someone", "took over my", "taken over", "intercepted",
      "gift cards", "never opened", "didn't open", "not me", "wasn't me"],
    // bereavement
    &["passed away", "passed on", "has passed", "died", "dead", "deceased", "death",
      "funeral", "late husband", "late wife", "late father", "late mother", "late mum",
      "late dad", "bereavement", "bereaved", "executor", "estate", "next of kin", "killed",
      "lost my mum", "lost my dad", "lost our", "rip", "widow", "widowed", "probate",
      "wife passed", "husband passed", "partner passed", "mum passed", "mom passed",
      "dad passed", "mother passed", "father passed", "son passed", "daughter passed",
      "brother passed", "sister passed", "gran passed", "grandma passed", "grandad passed",
      "grandpa passed", "nan passed"],
    // safety and abuse
    &["abuse", "abusive", "abuser", "domestic violence", "violent", "stalk", "stalker",
      "stalking", "tracking me", "track me", "tracks me", "see where i am", "where i am",
      "my location", "threaten", "threatening", "threats", "death threat", "hurt me",
      "kill me", "harass", "harassing", "harassment", "blackmail", "scared", "frightened",
      "afraid", "not safe", "unsafe", "refuge", "shelter", "fled", "leaving him",
      "leaving her", "controls the account", "without him knowing", "without her knowing",
      "end it all", "don't want to live", "suicide", "groomed", "my ex"],
    // legal action
    &["lawyer", "solicitor", "attorney", "legal action", "legal team", "sue", "suing",
      "lawsuit", "court", "courts", "tribunal", "letter before action", "subpoena",
      "police", "investigation", "legal proceedings", "class action", "bailiff", "summons",
      "litigation", "legal advice", "data protection", "subject access", "gdpr", "evidence"],
    // vulnerable customers
    &["dementia", "alzheimer", "alzheimers", "elderly", "pensioner", "years old",
      "i'm 7", "i'm 8", "i'm 9", "confused", "don't understand", "doesn't understand",
      "eyesight", "blind", "partially sighted", "deaf", "disability", "disabled",
      "learning difficulties", "autistic", "autism", "care home", "carer", "hospital",
      "cancer", "stroke", "mental health", "depressed", "depression", "can't afford",
      "cannot afford", "lost my job", "hardship", "struggling", "power of attorney",
      "lives alone", "medical alarm", "vulnerable", "my grandmother", "my grandfather",
      "my gran", "my grandad", "old age"],
    // sarcasm: praise words and mock enthusiasm (the head learns when they are mock)
    &["great job", "well done", "good job", "nice one", "thanks so much", "thanks a lot",
      "thanks for nothing", "love paying", "love how", "love it when", "so glad",
      "really appreciate", "brilliant", "fantastic", "amazing", "wonderful", "impressive",
      "impressed", "genius", "stellar", "10/10", "keep up the good work", "oh great",
      "oh good", "what a surprise", "surprise surprise", "so generous", "so helpful",
      "best network", "lovely", "perfect, just perfect", "as always", "lol", "congratulations",
      "super efficient", "so efficient", "makes total sense", "what a joy", "superb",
      "excellent", "outstanding", "incredible", "marvellous", "splendid", "wow", "bravo",
      "kudos", "hats off", "top notch", "world class", "just great", "great work",
      "great service", "fabulous", "terrific", "flawless", "masterpiece", "a+", "five stars",
      "thank you so much", "how kind", "so kind", "cheers for", "thanks for the"],
    // shouting in words (capitals are measured separately)
    &["!!", "?!", "!?", "??"],
    // repetition
    &["third time", "fourth time", "fifth time", "again", "already", "times now", "how many times",
      "for the last time", "same question", "same answer", "same thing", "keep asking",
      "keep telling", "over and over", "still", "every time", "every single", "chasing",
      "chase you", "explained this", "told you", "asked this", "asking again", "not this again",
      "5 times", "4 times", "3 times", "three times", "four times", "five times", "twice",
      "yet again", "once more", "weeks", "months"],
    // threats: regulator, ombudsman, press, reviews
    &["ombudsman", "regulator", "ofcom", "fcc", "trading standards", "consumer protection",
      "report you", "reporting you", "reporting it", "report this", "press", "the media",
      "news", "twitter", "social media", "review", "reviews", "better business bureau",
      "citizens advice", "my mp", "authorities", "chargeback", "final warning", "illegal",
      "unless", "or else", "or i'm", "or i will", "tomorrow unless"],
    // contempt ("joke" only as a verdict: "tell me a joke" is small talk)
    &["what a joke", "is a joke", "are a joke", "total joke", "complete joke", "absolute joke",
      "joke of a", "bad joke", "you're joking", "are you joking", "kidding me", "clown",
      "clowns", "incompetent", "pathetic", "useless", "idiots", "idiot",
      "stupid", "morons", "amateurs", "crooks", "rip off", "rip-off", "ripoff", "garbage",
      "rubbish", "trash", "shambles", "disgrace", "disgraceful", "laughable", "brick wall",
      "waste of space", "shame on you", "con artists", "cowboys", "bunch of", "you people",
      "you lot", "don't bother", "canned", "worst"],
];

#[rustfmt::skip]
const CHINESE: [&[&str]; 10] = [
    // fraud and identity theft
    &["冒充", "冒用", "冒名", "盗用", "盗刷", "被盗", "盗号", "被骗", "诈骗", "骗子", "骗了",
      "骗走", "转走", "被转", "没了", "不见了", "冇晒", "补卡", "补办", "换卡", "更换",
      "没办过", "没有办过", "根本没", "不是我", "从来没", "我的名义", "我的名字", "我名下",
      "我的身份", "身份证", "身份信息", "催收", "欠费", "被人控制", "控制了", "劫持",
      "验证码", "银行卡", "支付宝", "网银", "未经", "没申请", "没有申请", "呃", "盗咗"],
    // bereavement
    &["去世", "过世", "过身", "离世", "病逝", "身故", "走了", "没了", "死了", "死亡", "遗产",
      "遗物", "丧", "葬礼", "后事", "家父", "家母", "先父", "先母", "亡", "纪念"],
    // safety and abuse
    &["家暴", "暴力", "跟踪", "定位", "威胁", "恐吓", "骚扰", "勒索", "伤害", "杀了", "害怕",
      "不安全", "庇护所", "逃离", "离开他", "前夫", "前任", "前男友", "前妻", "不想活",
      "撑不下去", "结束这一切", "自杀", "控制着", "查到", "知道我在哪", "上门"],
    // legal action
    &["律师", "起诉", "法院", "传票", "诉讼", "打官司", "法律", "律师函", "公安", "警方",
      "报警", "警察", "证据", "追究", "法律责任", "索赔", "仲裁"],
    // vulnerable customers
    &["老年痴呆", "痴呆", "阿尔茨海默", "失智", "糊涂", "老人", "老人家", "年纪大", "岁了",
      "八十", "七十", "九十", "退休", "看不懂", "不懂", "唔识", "视力", "看不清", "聋",
      "哑", "残疾", "智力", "自闭症", "住院", "癌症", "化疗", "中风", "抑郁", "失业",
      "交不起", "付不起", "低保", "记性不好", "忽悠", "照顾"],
    // sarcasm
    &["真棒", "太棒了", "好棒", "真好", "真快", "真行", "真大方", "真会", "可真", "厉害了",
      "佩服", "呵呵", "谢谢你们", "太感谢了", "贴心", "高效", "不愧是", "牛", "666", "服了",
      "哇", "好一个", "真是"],
    // shouting
    &["！！", "？？", "!!", "??", "！？", "?!"],
    // repetition
    &["第三次", "第四次", "第五次", "好几次", "多少次", "多少遍", "n遍", "三遍", "几遍", "又是",
      "又", "还是", "已经", "每次", "每个月", "一直", "反复", "同一个", "问过", "说过",
      "说了", "最后一遍", "无数次", "昨天", "前天"],
    // threats: regulator and press
    &["工信部", "12300", "12315", "315", "消协", "消费者协会", "通信管理局", "管理局", "监管",
      "举报", "投诉到", "去投诉", "曝光", "媒体", "微博", "黑猫", "看着办", "信不信",
      "投诉你们", "走着瞧"],
    // contempt
    &["垃圾", "废物", "饭桶", "破公司", "什么玩意", "真搞笑", "太搞笑", "好搞笑",
      "搞笑吧", "搞笑呢", "是个笑话", "是笑话", "真是笑话", "天大的笑话", "大笑话",
      "成了笑话", "开什么玩笑", "开玩笑吧", "逗我", "骗子公司", "差劲", "智商",
      "不专业", "没用", "搞乜鬼", "一帮", "一群", "就这水平", "烂"],
];

/// Phrases in which a cue means something else: a phone "died", the signal "没了" (is gone), "烦死了"
/// (annoying to death). A cue found wholly inside one of them is no cue: without them every
/// customer whose battery died looked bereaved.
#[rustfmt::skip]
const ENGLISH_IDIOMS: &[&str] = &[
    "phone died", "phone has died", "phone's died", "phone just died", "phone is dead",
    "phone's dead", "phone went dead", "phone was dead", "dead phone", "battery died",
    "battery has died", "battery's died", "battery is dead", "battery's dead", "dead battery",
    "screen died", "screen is dead", "screen's dead", "dead screen", "line is dead", "line's dead",
    "line went dead", "line was dead", "line has been dead", "line's been dead", "dead line",
    "landline is dead", "landline's dead", "router died", "router has died", "router is dead",
    "router's dead", "dead router", "sim died", "sim is dead", "sim's dead", "dead sim",
    "esim is dead", "signal died", "signal is dead", "signal's dead", "internet died",
    "internet is dead", "internet's dead", "broadband died", "broadband is dead",
    "broadband's dead", "broadband's been dead", "broadband has been dead", "wifi died",
    "wifi is dead", "wifi's dead", "connection died", "charger died", "charger is dead",
    "modem died", "hub died", "hub is dead", "dead zone", "dead zones", "dead spot",
    "dead spots", "dead on arrival", "died on me", "killed my battery", "kills my battery",
    "killing my battery", "drained my battery", "drains my battery", "draining my battery",
    "drains the battery", "battery drained", "battery drain", "battery draining", "real estate",
    "still dead", "completely dead", "totally dead", "dead again",
    // calling oneself names is no contempt for the company
    "like an idiot", "i'm an idiot", "im an idiot", "i am an idiot", "idiot me",
];

#[rustfmt::skip]
const CHINESE_IDIOMS: &[&str] = &[
    "手机死了", "死机", "卡死", "信号死了", "屏幕死了", "信号没了", "网没了", "网络没了",
    "流量没了", "电没了", "没电了", "声音没了", "图标没了", "5g没了", "4g没了", "优惠没了",
    "烦死了", "累死了", "慢死了", "急死了", "气死了", "笑死了", "热死了", "冷死了", "饿死了",
    "困死了", "忙死了", "吵死了", "贵死了", "坑死了", "麻烦死了",
    // "说好一个月39" (it was agreed at 39 a month) is no mock "好一个"
    "说好一个", "服了自己", "服了我自己",
    // paying by bank card, and keeping one's SIM, are everyday account business
    "绑定银行卡", "换绑银行卡", "绑银行卡", "用银行卡", "银行卡支付", "银行卡付款", "银行卡缴费",
    "不换卡",
];

/// Which kinds of cue a message has, and the cues themselves (for the evidence).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// One flag per entry of [`KINDS`].
    pub present: [bool; 10],
    /// (kind index, cue) for every cue found, in lexicon order.
    pub cues: Vec<(usize, String)>,
}

impl Found {
    /// The cues of one kind, quoted and comma-separated ("'great job', 'well done'").
    pub fn quoted(&self, kind: usize) -> String {
        let quoted: Vec<String> = self
            .cues
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, cue)| format!("'{cue}'"))
            .collect();
        quoted.join(", ")
    }
}

/// Every lexicon entry, English and Chinese, kind by kind in lexicon order.
static LEXICON: LazyLock<(PhraseSet, PhraseSet)> = LazyLock::new(|| {
    (
        PhraseSet::new(tagged(&ENGLISH), true),
        PhraseSet::new(in_mandarin(tagged(&CHINESE)), false),
    )
});

/// The idioms, English and Chinese.
static IDIOMS: LazyLock<(PhraseSet, PhraseSet)> = LazyLock::new(|| {
    let untagged = |idioms: &[&'static str]| idioms.iter().map(|i| (0, *i)).collect();
    (
        PhraseSet::new(untagged(ENGLISH_IDIOMS), true),
        PhraseSet::new(in_mandarin(untagged(CHINESE_IDIOMS)), false),
    )
});

/// (kind, cue) for every cue of a lexicon, in order.
fn tagged(lexicon: &[&[&'static str]; 10]) -> Vec<(usize, &'static str)> {
    let mut entries = Vec::new();
    for (kind, cues) in lexicon.iter().enumerate() {
        entries.extend(cues.iter().map(|cue| (kind, *cue)));
    }
    entries
}

/// The Chinese cues as [`find`] reads text, in Mandarin: a Cantonese cue (盗咗) is looked up as
/// 盗了. Built once, so the few rewritten cues live as long as the process.
fn in_mandarin(entries: Vec<(usize, &'static str)>) -> Vec<(usize, &'static str)> {
    let read = |(kind, cue): (usize, &'static str)| {
        let mandarin = chinese::mandarin(cue);
        if mandarin == cue {
            return (kind, cue);
        }
        let leaked: &'static str = Box::leak(mandarin.into_boxed_str());
        (kind, leaked)
    };
    entries.into_iter().map(read).collect()
}

/// Looks every lexicon entry up in `text`: English phrases on word boundaries of the
/// lower-cased text, Chinese ones as substrings of it read as Mandarin (`chinese::mandarin`).
pub fn find(text: &str) -> Found {
    let lower = lowered(text);
    let mandarin = chinese::mandarin(&lower);
    let (english, chinese) = &*LEXICON;
    let (english_idioms, chinese_idioms) = &*IDIOMS;
    let english = english.found_outside(&lower, &english_idioms.spans(&lower));
    let chinese = chinese.found_outside(&mandarin, &chinese_idioms.spans(&mandarin));
    let mut found = Found::default();
    for kind in 0..KINDS.len() {
        let of_kind = |(k, _): &&(usize, &str)| *k == kind;
        for (_, cue) in english
            .iter()
            .filter(of_kind)
            .chain(chinese.iter().filter(of_kind))
        {
            found.present[kind] = true;
            found.cues.push((kind, (*cue).to_string()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escalation::phrases::has_phrase;

    #[test]
    fn chinese_cues_are_found_in_traditional_writing_too() {
        let found = find("家父啱啱過身");
        assert!(found.present[1], "{found:?}");
        assert!(found.quoted(1).contains("'过身'"), "{found:?}");
    }

    #[test]
    fn a_joke_is_contempt_as_a_verdict_not_as_a_request() {
        const CONTEMPT: usize = 9;
        assert!(find("this company is a joke").present[CONTEMPT]);
        assert!(find("你们公司就是个笑话").present[CONTEMPT]);
        assert!(!find("tell me a joke").present[CONTEMPT]);
        assert!(!find("讲个笑话吧").present[CONTEMPT]);
    }

    #[test]
    fn a_device_that_died_is_no_bereavement_and_a_signal_that_went_is_no_fraud() {
        const BEREAVEMENT: usize = 1;
        assert!(!find("my phone died and won't charge").present[BEREAVEMENT]);
        assert!(!find("the line's been dead since monday").present[BEREAVEMENT]);
        assert!(find("my dad died, his phone is still on my plan").present[BEREAVEMENT]);
        assert!(!find("信号没了，烦死了").present[BEREAVEMENT]);
        assert!(!find("信号没了").present[0], "fraud");
        assert!(find("我爸爸死了").present[BEREAVEMENT]);
        assert!(find("卡里的钱没了").present[0], "fraud");
    }

    #[test]
    fn paying_by_bank_card_or_keeping_ones_sim_is_no_fraud() {
        const FRAUD: usize = 0;
        const BEREAVEMENT: usize = 1;
        assert!(!find("换绑银行卡").present[FRAUD]);
        assert!(!find("能用银行卡交话费吗").present[FRAUD]);
        assert!(find("银行卡里的钱被转走了").present[FRAUD]);
        assert!(find("有人没经过我同意把我的号码转走了").present[FRAUD]);
        assert!(!find("能不能只换号码不换卡").present[FRAUD]);
        assert!(!find("new sim still dead after an hour").present[BEREAVEMENT]);
    }

    #[test]
    fn one_pass_finds_what_a_search_per_phrase_finds() {
        let texts = [
            "oh great job, you swapped my sim without my permission!! i will sue",
            "there is an issue with my bill, third time asking, i'm done",
            "my mother passed away and i need to close her account",
            "THIS IS A JOKE. worst service ever",
            "",
        ];
        for text in texts {
            let lower = lowered(text);
            let each: Vec<(usize, &str)> = tagged(&ENGLISH)
                .into_iter()
                .filter(|(_, cue)| has_phrase(&lower, cue))
                .collect();
            assert_eq!(LEXICON.0.found(&lower), each, "{text}");
        }
    }
}
