//! Traditional Chinese characters to simplified ones, for the escalation scorer's features and
//! cues and the knowledge base's pinyin corrections: customers write in either (and in
//! Cantonese), the training examples, lexicons and articles are simplified. A short table of the characters support messages use most, not a full converter:
//! a character it does not know passes through unchanged.

use std::collections::HashMap;
use std::sync::OnceLock;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_characters_become_simplified() {
        assert_eq!(simplified("你是機器人嗎"), "你是机器人吗");
        assert_eq!(simplified("hello 你好"), "hello 你好");
    }
}
