//! Issue 13 end to end over real HTTP (real model, index and store): a question no article covers
//! is not answered with an unrelated article, and everyday Chinese (long, colloquial, mixed with
//! English, typed in pinyin, in Cantonese) and misspelt English reach the knowledge base instead of
//! being rejected as out of scope.

use serde_json::Value;

use crate::common::spawn_app;

/// A long Chinese story about a trip is read as a roaming question, never declined as out of
/// scope. Whether it is then quoted is the answerability model's call: a story matches an
/// article less closely than a short question, and when in doubt the bot says so in Chinese and
/// offers a person (BENCHMARKS.md: the cost of quoting fewer misleading articles).
fn assert_understood_as_a_roaming_question(reply: &Value) {
    assert_eq!(reply["intent"]["name"], "roaming_activate", "{reply}");
    if reply["action"] == "answered" {
        assert_answered_from_a_chinese_roaming_article(reply);
        return;
    }
    assert_eq!(reply["action"], "clarify", "{reply}");
    assert!(
        reply["text"].as_str().unwrap_or_default().contains("人工"),
        "{reply}"
    );
}

fn assert_answered_from_a_chinese_roaming_article(reply: &Value) {
    assert_eq!(reply["action"], "answered", "{reply}");
    let source = reply["sources"][0]["id"].as_str().unwrap_or_default();
    assert!(
        source.starts_with("roaming") && source.ends_with("-zh"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_question_no_article_covers_is_not_answered_with_an_article() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app
        .say(
            &id,
            "Can I add my Apple Watch to my plan so it shares my phone number when I go running?",
        )
        .await;
    assert_ne!(reply["action"], "answered", "{reply}");
    assert_eq!(
        reply["sources"].as_array().map(Vec::len),
        Some(0),
        "{reply}"
    );
}

#[tokio::test]
async fn a_long_colloquial_chinese_question_is_understood_not_declined() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app
        .say(
            &id,
            "下个月要去日本玩一个礼拜，之前没出过国，手机到那边要怎么弄才能打电话上网啊",
        )
        .await;
    assert_understood_as_a_roaming_question(&reply);
}

#[tokio::test]
async fn chinese_with_english_words_is_not_rejected_as_out_of_scope() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "新买的iPhone怎么装esim，扫码没反应").await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(reply["intent"]["name"], "esim_setup", "{reply}");
}

#[tokio::test]
async fn a_question_typed_in_pinyin_is_answered_from_the_chinese_article_it_names() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "manyou zenme kaitong").await;
    assert_answered_from_a_chinese_roaming_article(&reply);
    let transcript = app.transcript(&id).await.to_string();
    assert!(transcript.contains("manyou zenme kaitong"), "{transcript}");
    assert!(
        !transcript.contains("manyou zenme kaitong 漫游"),
        "{transcript}"
    );
}

#[tokio::test]
async fn a_question_in_cantonese_is_answered_from_the_chinese_article() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let question = "點樣開通漫遊？我聽日去日本";
    let reply = app.say(&id, question).await;
    assert_answered_from_a_chinese_roaming_article(&reply);
    let transcript = app.transcript(&id).await.to_string();
    assert!(transcript.contains(question), "{transcript}");
}

#[tokio::test]
async fn a_long_story_rejected_as_a_whole_is_understood_from_the_question_inside_it() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let story = "我老婆下个月生日，我想给她个惊喜，带她去泰国玩一周，酒店机票都订好了。\
                 她平时离不开手机，刷小红书拍照发朋友圈。出国以后她的卡要怎么弄才能上网？";
    let reply = app.say(&id, story).await;
    assert_understood_as_a_roaming_question(&reply);

    let id = app.new_conversation().await;
    let story = "My daughter is starting university in September and she's moving into halls \
                 three hours away. She's been on my account since she was twelve. How do I take \
                 her line off my family plan so she can pay for it herself?";
    let reply = app.say(&id, story).await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(reply["sources"][0]["id"], "family-remove-line", "{reply}");
}

#[tokio::test]
async fn a_misspelt_question_is_answered_from_the_article_it_means() {
    let app = spawn_app().await;
    for (question, article) in [
        (
            "I want to turn off my voicemial completely",
            "voicemail-turn-off",
        ),
        ("how do I get my phone unlokced", "device-unlock-request"),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, question).await;
        assert_eq!(reply["action"], "answered", "{reply}");
        assert_eq!(reply["sources"][0]["id"], article, "{reply}");
        let transcript = app.transcript(&id).await.to_string();
        assert!(
            transcript.contains(question),
            "the customer's words are kept"
        );
    }
}

#[tokio::test]
async fn a_question_the_classifier_rejects_is_answered_when_an_article_plainly_answers_it() {
    // The classifier reads it as out of scope; the SOS article shares its words and the
    // answerability judge accepts it, so a decline would leave the customer without the answer.
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app
        .say(&id, "phone says SOS only at the top, what does that mean")
        .await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(
        reply["sources"][0]["id"], "device-troubleshoot-no-service",
        "{reply}"
    );
}

/// A follow-up to an answered question that the bot cannot answer alone is read with that
/// question; a question on a new subject does not get the previous question's article (read with
/// that question, "how do I unlock my WeChat account?" would get the voicemail article).
#[tokio::test]
async fn a_follow_up_to_an_answer_is_read_with_the_question_and_a_new_subject_does_not_get_its_article()
 {
    let app = spawn_app().await;
    for (question, follow_up, article) in [
        (
            "my router light is red, what does that mean?",
            "still red after the restart, what else can I try?",
            "router-",
        ),
        ("怎么设置语音信箱", "默认密码是多少", "voicemail-"),
    ] {
        let id = app.new_conversation().await;
        let first = app.say(&id, question).await;
        assert_eq!(first["action"], "answered", "{question}: {first}");
        let second = app.say(&id, follow_up).await;
        assert_eq!(second["action"], "answered", "{follow_up}: {second}");
        let source = second["sources"][0]["id"].as_str().unwrap_or_default();
        assert!(source.starts_with(article), "{follow_up}: {second}");
    }
    let metrics = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    let remembered = metrics
        .lines()
        .find_map(|line| line.strip_prefix("switchboard_rereads_total{vector=\"remembered\"} "))
        .and_then(|count| count.parse::<f64>().ok());
    assert!(
        remembered >= Some(2.0),
        "read without the encoder: {metrics}"
    );
    let id = app.new_conversation().await;
    let first = app.say(&id, "how do I set up voicemail?").await;
    assert_eq!(first["action"], "answered", "{first}");
    let elsewhere = app.say(&id, "how do I unlock my WeChat account?").await;
    assert_ne!(elsewhere["action"], "answered", "{elsewhere}");
    assert_eq!(elsewhere["sources"], serde_json::json!([]), "{elsewhere}");
}
