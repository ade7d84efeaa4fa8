//! The message path end to end over real HTTP: real model, real index, real sled store.

use crate::common;

use common::{spawn_app, spawn_app_with};

#[tokio::test]
async fn a_faq_is_answered_from_the_knowledge_base_with_a_citation() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app
        .say(
            &id,
            "I'm going to Spain next week, how do I switch on roaming on my phone?",
        )
        .await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(reply["intent"]["name"], "roaming_activate", "{reply}");
    assert!(reply["intent"]["confidence"].as_f64().unwrap() > 0.5);
    assert!(reply["runner_up"]["name"].is_string());
    let source = &reply["sources"][0];
    assert!(
        source["id"].as_str().unwrap().contains("roaming"),
        "{reply}"
    );
    assert!(source["title"].is_string() && source["anchor"].is_string());
    assert!(!reply["text"].as_str().unwrap().is_empty());
    assert_eq!(reply["ticket_status"], "open");
    assert!(reply["latency_ms"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn a_chinese_question_gets_a_chinese_answer() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "我下周去日本，怎么开通国际漫游？").await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(reply["intent"]["name"], "roaming_activate", "{reply}");
    assert!(
        reply["sources"][0]["id"].as_str().unwrap().ends_with("-zh"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_greeting_gets_small_talk_without_sources() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "hello there").await;
    assert_eq!(reply["action"], "smalltalk", "{reply}");
    assert_eq!(reply["sources"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn asking_for_a_person_escalates_the_ticket() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "I want to talk to a real person please").await;
    assert_eq!(reply["action"], "escalated", "{reply}");
    assert_eq!(reply["escalation_reason"], "explicit_request");
    assert_eq!(reply["ticket_status"], "escalated");
    let transcript = app.transcript(&id).await;
    assert_eq!(transcript["status"], "escalated");
    assert_eq!(transcript["escalation_reason"], "explicit_request");
}

/// A question outside what the bot covers: declined, a failed turn that offers a person.
const OUT_OF_DOMAIN: &str = "what is a good recipe for lasagne with spinach";

#[tokio::test]
async fn an_out_of_scope_question_is_declined_not_escalated() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, OUT_OF_DOMAIN).await;
    assert_eq!(reply["action"], "declined", "{reply}");
    assert!(reply["escalation_reason"].is_null(), "{reply}");
    assert_eq!(reply["ticket_status"], "open");
}

#[tokio::test]
async fn a_yes_after_a_failed_turn_takes_the_offered_person() {
    // Before: "yes" was out of scope and declined again.
    let app = spawn_app().await;
    for (question, yes) in [(OUT_OF_DOMAIN, "yes please"), ("今天天气怎么样", "是的")] {
        let id = app.new_conversation().await;
        let declined = app.say(&id, question).await;
        assert_eq!(declined["action"], "declined", "{declined}");
        let reply = app.say(&id, yes).await;
        assert_eq!(reply["action"], "escalated", "{yes}: {reply}");
        assert_eq!(reply["escalation_reason"], "explicit_request", "{reply}");
    }
}

#[tokio::test]
async fn a_no_after_a_failed_turn_keeps_the_bot_and_resets_the_failures() {
    // Before: "no" was a second failed turn and handed the customer to the person they refused.
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    app.say(&id, OUT_OF_DOMAIN).await;
    let reply = app.say(&id, "no thanks").await;
    assert_eq!(reply["action"], "smalltalk", "{reply}");
    assert_eq!(reply["ticket_status"], "open", "{reply}");
    let next = app.say(&id, "what is the capital of australia").await;
    assert_eq!(
        next["action"], "declined",
        "one failure after the no, not two: {next}"
    );
}

#[tokio::test]
async fn saying_an_answer_did_not_help_is_a_failed_turn_that_offers_a_person() {
    // Before: "that didn't help" was handed over as a sensitive situation, "没用" got "I don't know".
    let app = spawn_app().await;
    for (question, feedback, sorry) in [
        (
            "how do I turn on roaming?",
            "that didn't help",
            "Sorry that didn't help",
        ),
        ("怎么开通国际漫游", "没用", "抱歉没能帮到您"),
    ] {
        let id = app.new_conversation().await;
        assert_eq!(app.say(&id, question).await["action"], "answered");
        let reply = app.say(&id, feedback).await;
        assert_eq!(reply["action"], "clarify", "{feedback}: {reply}");
        assert!(reply["text"].as_str().unwrap().contains(sorry), "{reply}");
        let again = app.say(&id, feedback).await;
        assert_eq!(again["action"], "escalated", "{again}");
        assert_eq!(again["escalation_reason"], "repeated_failure", "{again}");
    }
}

/// The titles of the knowledge base's articles in `lang`, as the server loads them.
fn article_titles(lang: &str) -> Vec<String> {
    let loaded = switchboard::kb::load_dir(std::path::Path::new("kb")).expect("kb/ loads");
    loaded
        .articles
        .into_iter()
        .filter(|a| a.lang == lang)
        .map(|a| a.title)
        .collect()
}

/// The article titles `text` quotes (“...” in Chinese, "..." in English).
fn quoted_titles(text: &str, titles: &[String]) -> Vec<String> {
    titles
        .iter()
        .filter(|t| text.contains(&format!("\"{t}\"")) || text.contains(&format!("“{t}”")))
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_ambiguous_message_gets_a_clarifying_question_naming_two_articles() {
    let app = spawn_app_with(|s| s.dialogue.clarify_margin = common::AMBIGUOUS_MARGIN).await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, common::AMBIGUOUS).await;
    assert_eq!(reply["action"], "clarify", "{reply}");
    let text = reply["text"].as_str().unwrap();
    assert_eq!(
        quoted_titles(text, &article_titles("en")).len(),
        2,
        "{text}"
    );
    assert_eq!(reply["ticket_status"], "open");
}

#[tokio::test]
async fn a_chinese_clarifying_question_names_chinese_articles_not_intent_names() {
    let app = spawn_app_with(|s| s.dialogue.clarify_margin = common::AMBIGUOUS_MARGIN).await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "漫游").await;
    assert_eq!(reply["action"], "clarify", "{reply}");
    let text = reply["text"].as_str().unwrap();
    assert_eq!(
        quoted_titles(text, &article_titles("zh")).len(),
        2,
        "{text}"
    );
    assert!(!text.contains('_') && !text.contains("roaming"), "{text}");
}

#[tokio::test]
async fn a_bare_keyword_several_articles_use_gets_asked_which_one_it_means() {
    let app = spawn_app().await;
    for (keyword, lang) in [("my plan", "en"), ("宽带", "zh")] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, keyword).await;
        assert_eq!(reply["action"], "clarify", "{reply}");
        let text = reply["text"].as_str().unwrap();
        let titles = quoted_titles(text, &article_titles(lang));
        assert_eq!(titles.len(), 2, "{text}");
        let mut choices: Vec<String> = serde_json::from_value(reply["choices"].clone()).unwrap();
        choices.sort();
        let mut titles = titles;
        titles.sort();
        assert_eq!(
            choices, titles,
            "the choices are the titles the question names"
        );
    }
}

#[tokio::test]
async fn a_request_for_help_that_names_no_subject_is_asked_what_it_is_about() {
    // Before: "I need help" went to a person as a sensitive situation, "help" and "我需要帮助"
    // got "you're welcome", "我有个问题" was declined as out of scope.
    let app = spawn_app().await;
    for (text, asks) in [
        ("I need help", "What do you need help with?"),
        ("help", "What do you need help with?"),
        ("我需要帮助", "请问您需要什么帮助"),
        ("我有个问题", "请问您需要什么帮助"),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, text).await;
        assert_eq!(reply["action"], "smalltalk", "{text}: {reply}");
        assert!(
            reply["text"].as_str().unwrap().contains(asks),
            "{text}: {reply}"
        );
        assert_eq!(app.transcript(&id).await["status"], "open", "{text}");
    }
}

#[tokio::test]
async fn a_request_for_help_with_a_bare_topic_gets_asked_which_article_it_means() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "help with my bill").await;
    assert_eq!(reply["action"], "clarify", "{reply}");
    let choices = reply["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 2, "{reply}");
}

#[tokio::test]
async fn two_failed_turns_in_a_row_escalate() {
    let app = spawn_app_with(|s| s.dialogue.clarify_margin = common::AMBIGUOUS_MARGIN).await;
    let id = app.new_conversation().await;
    let first = app.say(&id, common::AMBIGUOUS).await;
    assert_eq!(first["action"], "clarify", "{first}");
    let second = app.say(&id, common::AMBIGUOUS).await;
    assert_eq!(second["action"], "escalated", "{second}");
    assert_eq!(second["escalation_reason"], "repeated_failure");
}

#[tokio::test]
async fn a_follow_up_the_bot_cannot_place_alone_is_read_with_the_message_before_it() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let first = app.say(&id, "my roaming isn't working in Spain").await;
    assert_eq!(first["action"], "clarify", "{first}");
    let second = app.say(&id, "I turned it on in the app already").await;
    assert_eq!(second["action"], "answered", "{second}");
    let article = second["sources"][0]["id"].as_str().unwrap_or_default();
    assert!(article.starts_with("roaming"), "{second}");
}

#[tokio::test]
async fn pointing_back_at_an_unnamed_problem_is_asked_about_then_handed_to_a_person() {
    let app = spawn_app().await;
    for (first, second, asks) in [
        (
            "it's that problem again",
            "the one from before",
            "can't see earlier conversations",
        ),
        ("又是那个问题", "就之前那个啊", "看不到之前的对话"),
    ] {
        let id = app.new_conversation().await;
        let reply = app.say(&id, first).await;
        assert_eq!(reply["action"], "clarify", "{first}: {reply}");
        assert!(reply["text"].as_str().unwrap().contains(asks), "{reply}");
        let again = app.say(&id, second).await;
        assert_eq!(again["action"], "escalated", "{second}: {again}");
        assert_eq!(again["escalation_reason"], "repeated_failure", "{again}");
    }
}

#[tokio::test]
async fn the_bot_stays_silent_once_a_person_has_the_conversation() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    app.say(&id, "can I speak to a human agent").await;
    let reply = app.say(&id, "how do I turn on roaming?").await;
    assert_eq!(reply["action"], "queued", "{reply}");
    assert!(reply["text"].is_null());
    assert_eq!(reply["ticket_status"], "escalated");
}

#[tokio::test]
async fn the_transcript_holds_every_turn_with_intent_confidence_and_sources() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    app.say(&id, "hi").await;
    app.say(
        &id,
        "how much does it cost to use data in the USA when roaming",
    )
    .await;
    let transcript = app.transcript(&id).await;
    let events = transcript["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "created",
            "customer_message",
            "bot_reply",
            "customer_message",
            "bot_reply"
        ]
    );
    let answer = &events[4];
    assert!(answer["intent"]["confidence"].as_f64().unwrap() > 0.0);
    assert!(
        !answer["sources"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
    assert!(events.iter().all(|e| e["at_ms"].as_u64().unwrap() > 0));
}

#[tokio::test]
async fn a_saturated_classifier_answers_503_with_retry_after() {
    let app = common::spawn_app_with(|s| {
        s.nlu.max_in_flight = 1;
        s.nlu.max_queued = 0;
    })
    .await;
    let mut urls = Vec::new();
    for _ in 0..24 {
        urls.push(format!(
            "{}/v1/conversations/{}/messages",
            app.address,
            app.new_conversation().await
        ));
    }
    let requests = urls.into_iter().map(|url| {
        let request = app
            .client
            .post(url)
            .json(&serde_json::json!({ "text": "is there 5G coverage at my address" }));
        async move { request.send().await.expect("request") }
    });
    let responses = futures_join_all(requests).await;
    let busy: Vec<&reqwest::Response> = responses.iter().filter(|r| r.status() == 503).collect();
    assert!(!busy.is_empty(), "no request was turned away");
    assert!(
        busy.iter()
            .all(|r| r.headers().get("retry-after").is_some())
    );
    assert!(
        responses
            .iter()
            .all(|r| r.status() == 200 || r.status() == 503)
    );
    let refused = responses.into_iter().find(|r| r.status() == 503);
    let body: serde_json::Value = refused.expect("a 503").json().await.expect("json");
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
    assert_eq!(
        body["error"]["message"], "the server is busy; retry shortly",
        "a busy server says so instead of hiding behind an internal error: {body}"
    );
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn a_question_the_bot_is_unsure_of_offers_the_close_articles_and_a_choice_gets_answered() {
    // The unlock article ranks first but the answerability judge is not sure of it (0.58 against
    // 0.76): "I don't know" alone was a dead end with the right article one click away.
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let question = "pls unlock my handset, going to France and want a local sim card";
    let reply = app.say(&id, question).await;
    assert_eq!(reply["action"], "clarify", "{reply}");
    assert!(
        reply["text"].as_str().unwrap().contains("talk to a person"),
        "{reply}"
    );
    let choices: Vec<String> = serde_json::from_value(reply["choices"].clone()).unwrap();
    assert!(
        choices.contains(&"Request a phone unlock".to_string()),
        "{reply}"
    );
    let answer = app.say(&id, "Request a phone unlock").await;
    assert_eq!(answer["action"], "answered", "{answer}");
    assert_eq!(
        answer["sources"][0]["id"], "device-unlock-request",
        "{answer}"
    );
    assert_eq!(app.transcript(&id).await["status"], "open");
}
