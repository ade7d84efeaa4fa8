//! Negative sentiment for English and Chinese: a valence lexicon with negation ("not happy",
//! "不满意"), intensifiers ("really bad", "太差"), exclamation marks and CAPS. The score is the sum
//! of the valences found (negative = upset); the escalation rule compares it with a configured
//! threshold. No model: it is fast, explainable (the cues become the escalation's evidence) and
//! works for both languages on the same scale.

/// Tokens after a negator that it still reaches ("not very happy", "不是很满意").
const NEGATION_REACH: usize = 3;
/// Tokens after an intensifier that it still reaches.
const INTENSIFIER_REACH: usize = 2;
/// A negated word counts this much, with the sign flipped ("not bad" is mildly positive).
const NEGATION_FACTOR: f32 = -0.5;
/// A word in CAPS ("TERRIBLE") counts this much more.
const CAPS_FACTOR: f32 = 1.5;
/// Each exclamation mark (up to three) adds this much to a negative score.
const EXCLAMATION_STEP: f32 = 0.2;

#[rustfmt::skip]
const ENGLISH: &[(&str, f32)] = &[
    ("angry", -3.0), ("furious", -4.0), ("mad", -2.5), ("annoyed", -2.0), ("annoying", -2.0),
    ("frustrated", -2.5), ("frustrating", -2.5), ("upset", -2.0), ("disappointed", -2.0),
    ("disappointing", -2.0), ("unacceptable", -3.0), ("ridiculous", -3.0), ("outrageous", -3.5),
    ("terrible", -2.5), ("horrible", -3.0), ("awful", -3.0), ("worst", -3.0), ("useless", -3.0),
    ("pathetic", -3.0), ("disgusting", -3.5), ("incompetent", -3.0), ("scam", -3.5),
    ("rip-off", -3.0), ("ripoff", -3.0), ("fraud", -3.0), ("hate", -3.0), ("sick", -1.5),
    ("bad", -2.0), ("poor", -1.5), ("slow", -1.0), ("broken", -1.0), ("rubbish", -2.5),
    ("garbage", -3.0), ("crap", -3.0), ("damn", -2.0), ("wtf", -3.0), ("stupid", -2.5),
    ("shit", -3.5), ("shitty", -3.5), ("joke", -1.5), ("nightmare", -3.0),
    ("complain", -2.0), ("complaint", -2.0), ("lawyer", -2.0), ("cancel", -0.5),
    ("good", 2.0), ("great", 3.0), ("excellent", 3.0), ("happy", 2.0), ("thanks", 2.0),
    ("thank", 2.0), ("helpful", 2.0), ("love", 3.0), ("perfect", 3.0), ("nice", 2.0),
    ("satisfied", 2.0), ("fine", 1.0), ("ok", 0.5), ("okay", 0.5), ("awesome", 3.0),
    // fury in words people write that the list above missed ("fuming rn", "livid")
    ("fuming", -3.5), ("livid", -4.0), ("enraged", -4.0), ("outraged", -3.5), ("seething", -3.5),
    ("infuriating", -3.5), ("infuriated", -3.5), ("pissed", -3.0), ("appalling", -3.5),
    ("appalled", -3.0), ("disgrace", -3.0), ("disgraceful", -3.5), ("inexcusable", -3.5),
    ("atrocious", -3.5), ("abysmal", -3.5), ("horrendous", -3.5), ("dreadful", -3.0),
    ("shambles", -3.0), ("farce", -3.0), ("sucks", -3.0), ("bullshit", -3.5), ("fuck", -3.5),
    ("fucked", -3.5), ("thieves", -3.5), ("liars", -3.5), ("robbery", -3.0), ("hopeless", -3.0),
];

#[rustfmt::skip]
const ENGLISH_NEGATORS: &[&str] = &[
    "not", "no", "never", "don't", "dont", "doesn't", "doesnt", "isn't", "isnt", "wasn't",
    "wasnt", "aren't", "arent", "can't", "cant", "won't", "wont", "didn't", "didnt", "hardly",
    "nothing", "nobody", "neither", "nor", "without",
];

#[rustfmt::skip]
const ENGLISH_INTENSIFIERS: &[(&str, f32)] = &[
    ("very", 1.5), ("really", 1.5), ("so", 1.4), ("extremely", 2.0), ("absolutely", 1.8),
    ("totally", 1.6), ("completely", 1.6), ("utterly", 1.8), ("incredibly", 1.8), ("too", 1.3),
    ("fucking", 2.0), ("bloody", 1.6), ("super", 1.5), ("most", 1.3),
];

#[rustfmt::skip]
const CHINESE: &[(&str, f32)] = &[
    ("生气", -3.0), ("气死", -4.0), ("愤怒", -4.0), ("恼火", -3.0), ("火大", -3.0),
    ("失望", -2.0), ("不满", -2.5), ("差劲", -3.0), ("太差", -3.0), ("垃圾", -3.5),
    ("骗子", -3.5), ("欺骗", -3.0), ("坑人", -3.5), ("投诉", -2.0), ("烂", -2.5),
    ("糟糕", -2.5), ("恶心", -3.0), ("离谱", -3.0), ("无语", -2.0), ("受不了", -3.0),
    ("忍无可忍", -4.0), ("过分", -2.5), ("不像话", -3.0), ("岂有此理", -3.5), ("骗人", -3.0),
    ("没用", -2.5), ("差", -2.0), ("慢", -1.0), ("烦", -2.0), ("讨厌", -3.0), ("退款", -0.5),
    ("不好", -2.0), ("不行", -1.5), ("坑", -2.0), ("滚", -3.0), ("搞什么", -2.5),
    ("很好", 2.0), ("满意", 2.0), ("谢谢", 2.0), ("感谢", 2.0), ("不错", 2.0), ("很棒", 3.0),
    ("棒", 2.5), ("喜欢", 2.0), ("开心", 2.0), ("高兴", 2.0), ("没问题", 1.0), ("帮助", 0.5),
    // fury the list above missed ("气疯了", "火冒三丈", "你们有病吧")
    ("气疯", -4.0), ("气炸", -4.0), ("气得", -3.0), ("气人", -3.0), ("火冒三丈", -4.0),
    ("有病吧", -3.0), ("你们有病", -3.5), ("抓狂", -3.0), ("窝火", -3.0), ("受够", -3.5),
    ("忍不了", -3.0), ("欺人太甚", -4.0), ("坑爹", -3.5), ("黑心", -3.5), ("无耻", -3.5),
    ("流氓", -3.0), ("奸商", -3.5), ("霸王条款", -3.5), ("缺德", -3.5), ("不要脸", -3.5),
    ("吸血", -3.5), ("扯淡", -3.0), ("踢皮球", -3.0), ("敷衍", -3.0), ("憋屈", -2.5),
];

/// Everyday words that contain a lexicon entry without its meaning: "麻烦您" (would you please) and
/// "太麻烦了" (what a hassle) are not "烦" (annoyed), "不好意思" (excuse me) is not "不好", "出差" (a
/// business trip) and "差价" (a price difference) are not "差" (bad). Read as one neutral token.
#[rustfmt::skip]
const CHINESE_NEUTRAL: &[&str] = &[
    "麻烦", "不好意思", "差不多", "差点", "出差", "时差", "差价", "差额", "相差", "慢慢",
    "行不行", "好不好", "天气",
];

#[rustfmt::skip]
const CHINESE_NEGATORS: &[&str] = &["不是", "没有", "并不", "不", "没", "别", "未", "无"];

#[rustfmt::skip]
const CHINESE_INTENSIFIERS: &[(&str, f32)] = &[
    ("非常", 1.8), ("特别", 1.6), ("极其", 2.0), ("十分", 1.6), ("超级", 1.8), ("实在", 1.5),
    ("真的", 1.5), ("太", 1.5), ("很", 1.4), ("真", 1.4), ("好", 1.3), ("最", 1.5),
];

/// A message's sentiment: the summed valence (negative = upset) and the words that produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentiment {
    pub score: f32,
    pub cues: Vec<String>,
}

/// What a token is, for the scorer.
enum Token {
    Valence { word: String, value: f32 },
    Negator,
    Intensifier(f32),
    Exclamation,
    Other,
}

pub fn score(text: &str) -> Sentiment {
    let mut sum = 0.0f32;
    let mut cues = Vec::new();
    let mut exclamations = 0usize;
    let mut negated_until = 0usize;
    let mut intensity: Option<(f32, usize)> = None;
    for (position, token) in tokenize(text).into_iter().enumerate() {
        match token {
            Token::Valence { word, mut value } => {
                if let Some((factor, until)) = intensity.take()
                    && position <= until
                {
                    value *= factor;
                }
                if position <= negated_until && negated_until > 0 {
                    value *= NEGATION_FACTOR;
                    cues.push(format!("negated {word}"));
                } else {
                    cues.push(word);
                }
                sum += value;
            }
            Token::Negator => negated_until = position + NEGATION_REACH,
            Token::Intensifier(factor) => intensity = Some((factor, position + INTENSIFIER_REACH)),
            Token::Exclamation => exclamations += 1,
            Token::Other => {}
        }
    }
    if sum < 0.0 && exclamations > 0 {
        sum *= 1.0 + EXCLAMATION_STEP * exclamations.min(3) as f32;
        cues.push("!".repeat(exclamations.min(3)));
    }
    Sentiment { score: sum, cues }
}

/// Splits into English words (lowercased, CAPS noted), Chinese lexicon entries (longest match
/// first, so "不错" is praise and not a negated "错"), and exclamation marks.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_ascii_alphabetic() {
            let end = word_end(&chars, at);
            let word: String = chars[at..end].iter().collect();
            tokens.push(english_token(&word));
            at = end;
        } else if crate::nlu::features::is_cjk(c) {
            let (token, len) = chinese_token(&chars[at..]);
            tokens.push(token);
            at += len;
        } else {
            if c == '!' || c == '！' {
                tokens.push(Token::Exclamation);
            }
            at += 1;
        }
    }
    tokens
}

fn word_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() && (chars[end].is_ascii_alphanumeric() || "'-’".contains(chars[end]))
    {
        end += 1;
    }
    end
}

fn english_token(word: &str) -> Token {
    let lower = word.to_lowercase().replace('’', "'");
    let shouted = word.len() >= 2 && word.chars().all(|c| !c.is_ascii_lowercase());
    if let Some((_, value)) = ENGLISH.iter().find(|(w, _)| *w == lower) {
        let value = if shouted { value * CAPS_FACTOR } else { *value };
        let word = if shouted { word.to_string() } else { lower };
        return Token::Valence { word, value };
    }
    if ENGLISH_NEGATORS.contains(&lower.as_str()) {
        return Token::Negator;
    }
    if let Some((_, factor)) = ENGLISH_INTENSIFIERS.iter().find(|(w, _)| *w == lower) {
        return Token::Intensifier(*factor);
    }
    Token::Other
}

/// The Chinese token starting at `chars[0]` and its length in characters: the longest lexicon
/// entry, then a negator, then an intensifier, else one character of no weight.
fn chinese_token(chars: &[char]) -> (Token, usize) {
    let starts = |entry: &str| {
        let entry: Vec<char> = entry.chars().collect();
        chars.starts_with(&entry).then_some(entry.len())
    };
    let valence = CHINESE
        .iter()
        .filter_map(|(word, value)| starts(word).map(|len| (len, word, *value)))
        .max_by_key(|(len, _, _)| *len);
    let negator = CHINESE_NEGATORS.iter().filter_map(|w| starts(w)).max();
    let intensifier = CHINESE_INTENSIFIERS
        .iter()
        .filter_map(|(word, factor)| starts(word).map(|len| (len, *factor)))
        .max_by_key(|(len, _)| *len);
    let valence_len = valence.map_or(0, |(len, _, _)| len);
    if let Some(len) = CHINESE_NEUTRAL.iter().filter_map(|w| starts(w)).max()
        && len >= valence_len
    {
        return (Token::Other, len);
    }
    if let Some((len, word, value)) = valence
        && len >= negator.unwrap_or(0)
        && len >= intensifier.map_or(0, |(l, _)| l)
    {
        return (
            Token::Valence {
                word: word.to_string(),
                value,
            },
            len,
        );
    }
    if let Some(len) = negator {
        return (Token::Negator, len);
    }
    if let Some((len, factor)) = intensifier {
        return (Token::Intensifier(factor), len);
    }
    (Token::Other, valence_len.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THRESHOLD: f32 = -3.0;

    fn angry(text: &str) -> bool {
        score(text).score <= THRESHOLD
    }

    #[test]
    fn plain_questions_are_neutral() {
        for text in [
            "How do I activate roaming?",
            "What is the price of the unlimited plan",
            "我的账单是多少？",
            "怎么开通国际漫游",
            "不好意思，麻烦帮我查一下话费",
            "下周出差去日本，差不多要用多少流量",
            "出国前怎么查当地天气得用什么app",
        ] {
            assert_eq!(score(text).score, 0.0, "{text}");
        }
    }

    #[test]
    fn angry_english_messages_cross_the_threshold() {
        for text in [
            "This is absolutely terrible!!",
            "I am furious, your service is the worst",
            "Third time I ask. This is RIDICULOUS",
            "You are useless and I hate this company!",
            "I'm so angry right now",
            "absolutely livid, this is a farce",
        ] {
            assert!(angry(text), "{text}: {:?}", score(text));
        }
    }

    #[test]
    fn angry_chinese_messages_cross_the_threshold() {
        for text in [
            "你们的服务太差了！",
            "气死我了，什么垃圾服务",
            "我要投诉，实在太过分了！",
            "真的受不了，太离谱了",
            "我非常生气",
            "火冒三丈，你们有病吧",
            "气得手都在抖",
        ] {
            assert!(angry(text), "{text}: {:?}", score(text));
        }
    }

    #[test]
    fn negation_softens_and_flips() {
        assert!(score("I am not happy").score < 0.0);
        assert!(score("not bad at all").score > 0.0);
        assert!(score("我不生气").score > 0.0);
        assert!(score("不是很满意").score < 0.0);
        assert!(!angry("I'm not angry, just asking about my bill"));
    }

    #[test]
    fn longest_chinese_match_wins_over_a_negator() {
        assert!(score("服务不错").score > 0.0);
        assert!(score("没问题，谢谢").score > 0.0);
    }

    #[test]
    fn intensifiers_caps_and_exclamations_make_it_stronger() {
        let plain = score("this is bad").score;
        let intense = score("this is really bad").score;
        let shouted = score("this is BAD").score;
        let exclaimed = score("this is bad!!!").score;
        assert!(intense < plain && shouted < plain && exclaimed < plain);
        assert!(!angry("this is bad"));
        assert!(score("太差").score < score("差").score);
    }

    #[test]
    fn mild_complaints_and_praise_do_not_escalate() {
        for text in [
            "The app is a bit slow today",
            "Great, thanks a lot!",
            "网速有点慢",
            "谢谢，很满意",
            "my phone is broken, how do I get a repair",
        ] {
            assert!(!angry(text), "{text}: {:?}", score(text));
        }
    }

    #[test]
    fn cues_name_the_words_that_scored() {
        let feeling = score("This is absolutely terrible!!");
        assert_eq!(feeling.cues, vec!["terrible".to_string(), "!!".to_string()]);
    }
}
