//! Chinese as customers write it, read as the training examples, lexicons and articles are
//! written: simplified Mandarin. Two short tables, not full converters: traditional characters
//! to simplified ones (the characters support messages use most), and the Cantonese and Taiwanese
//! words customers type for common Mandarin ones (唔 -> 不, 點樣 -> 怎么, 幾時 -> 什么时候,
//! 簡訊 -> 短信). What a table does not know passes through unchanged. The classifier's features,
//! the search index's analyzer and the escalation cues all read [`mandarin`]; the transcript keeps
//! what the customer wrote.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::features::is_cjk;

/// Pairs of (traditional, simplified), one pair after another.
#[rustfmt::skip]
const PAIRS: &str = concat!(
    "個个們们動动務务問问啞哑啟启喚唤單单嗎吗嚴严國国圍围園园圖图團团報报場场塊块壓压",
    "壞坏壯壮夠够夢梦奪夺奮奋婦妇媧娲媽妈學学實实寫写寵宠將将對对導导屆届屬属岡冈島岛",
    "帳账帶带幣币幫帮庫库廣广彈弹後后從从復复徵征惡恶愛爱態态應应懷怀戀恋戲戏戶户揚扬",
    "換换損损撈捞撥拨擁拥擊击擋挡擔担據据擬拟擾扰攜携攤摊數数斷断於于時时晝昼暫暂曆历",
    "會会東东條条極极構构樂乐標标樣样機机檢检權权歡欢歲岁歷历歸归殘残殺杀氣气決决沒没",
    "況况淚泪滅灭滿满漢汉漲涨潔洁濟济濫滥瀏浏灣湾災灾為为無无煩烦熱热燈灯營营爛烂爭争",
    "爺爷爾尔牆墙猶犹獎奖獨独獲获現现環环產产畫画異异當当瘋疯療疗癡痴發发盜盗盡尽監监",
    "盤盘眾众確确碼码礎础禍祸禮礼稅税稱称積积穩稳穫获窩窝窮穷竊窃競竞筆笔節节範范簡简",
    "籤签糧粮糾纠紀纪約约紅红紙纸級级紛纷細细終终組组結结絕绝絡络給给統统絲丝綁绑經经",
    "維维網网緊紧緒绪線线緣缘編编練练縣县縮缩總总績绩織织繳缴繼继續续罰罚罵骂羅罗義义",
    "習习聯联聲声職职聽听聾聋腦脑臉脸興兴舉举舊旧艱艰藝艺蘋苹處处號号虧亏術术衛卫補补",
    "裝装製制複复見见規规視视親亲覺觉覽览觀观訂订計计訊讯討讨訓训記记設设許许詐诈評评",
    "詢询試试話话該该詳详認认誤误說说談谈請请諒谅謝谢證证識识護护讀读變变讓让貝贝負负",
    "財财貨货貴贵買买貸贷費费資资賠赔賣卖質质賬账購购贈赠趕赶車车軟软較较載载輕轻輸输",
    "轉转辦办農农這这連连週周進进遊游運运過过達达違违遞递遠远適适遲迟選选遺遗還还邊边",
    "郵邮鄉乡鄰邻醫医針针銀银鋪铺錄录錢钱錯错鎖锁鏈链鐘钟鐵铁長长門门閃闪閉闭開开閒闲",
    "間间關关陰阴陳陈陸陆陽阳隊队隨随險险隱隐雙双雜杂雞鸡離离難难雲云電电靈灵靜静響响",
    "頁页頂顶項项順顺須须預预頓顿領领頭头頻频題题額额顏颜願愿類类顯显風风飛飞飯饭飲饮",
    "餘余館馆馬马騙骗騷骚驗验驚惊髒脏體体髮发鬆松鬧闹鬱郁魚鱼鳥鸟麗丽麥麦麼么黃黄點点",
    "齊齐齒齿齡龄龍龙龜龟幾几",
);

fn table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let chars: Vec<char> = PAIRS.chars().collect();
        chars
            .chunks_exact(2)
            .map(|pair| (pair[0], pair[1]))
            .collect()
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

fn words() -> &'static HashMap<&'static str, &'static str> {
    static WORDS_BY_KEY: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    WORDS_BY_KEY.get_or_init(|| WORDS.iter().copied().collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(simplified("你是機器人嗎"), "你是机器人吗");
        assert_eq!(simplified("hello 你好"), "hello 你好");
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
