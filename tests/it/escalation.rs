//! The escalation engine over real HTTP: anger in English and Chinese, per-tenant rules,
//! business hours and nobody online, queue order, auto-assignment, and the bot closing a
//! conversation it has answered.

use crate::common;

use serde_json::json;

use common::desk::spawn_desk;
use switchboard::store::Append;
use switchboard::tickets::{EventKind, now_ms};

const ASK_FOR_PERSON: &str = "I want to talk to a real person please";

#[tokio::test]
async fn an_angry_english_message_escalates_with_negative_sentiment() {
    let app = spawn_desk(|_| {}).await;
    let _alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    let reply = app
        .say(
            &id,
            "This is absolutely terrible!! I've been charged twice, worst service ever",
        )
        .await;
    assert_eq!(reply["action"], "escalated", "{reply}");
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
    assert_eq!(reply["ticket_status"], "escalated");
    let events = app.transcript(&id).await["events"].clone();
    let escalated = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "escalated")
        .unwrap();
    // The scorer's evidence names its score and what fired, the lexicon's words included.
    let evidence = escalated["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with("anger score")
            && evidence.contains("terrible")
            && evidence.contains("worst"),
        "{evidence}"
    );
}

#[tokio::test]
async fn an_angry_chinese_message_escalates_with_negative_sentiment() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "气死我了！你们的服务太差了，我要投诉！").await;
    assert_eq!(reply["escalation_reason"], "negative_sentiment", "{reply}");
    assert!(
        reply["text"].as_str().unwrap().contains("人工客服"),
        "{reply}"
    );
}

#[tokio::test]
async fn a_calm_question_is_still_answered_by_the_bot() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app
        .say(&id, "How do I turn on roaming before I travel abroad?")
        .await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert!(reply["escalation_reason"].is_null());
}

#[tokio::test]
async fn outside_business_hours_the_customer_gets_the_offline_message_and_a_queued_ticket() {
    let app = spawn_desk(|settings| {
        settings.escalation.hours.enabled = true;
        settings.escalation.hours.weekdays = Vec::new();
    })
    .await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, ASK_FOR_PERSON).await;
    assert_eq!(reply["offline"], true, "{reply}");
    assert!(
        reply["text"].as_str().unwrap().contains("offline"),
        "{reply}"
    );
    assert_eq!(reply["ticket_status"], "escalated");
    assert_eq!(reply["queue"]["position"], 1);
    assert_eq!(alice.queue().await["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn with_nobody_online_the_customer_is_told_and_the_ticket_waits() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let reply = app.say(&id, "我要转人工客服").await;
    assert_eq!(reply["ticket_status"], "escalated", "{reply}");
    assert_eq!(reply["offline"], true);
    assert!(
        reply["text"].as_str().unwrap().contains("不在线"),
        "{reply}"
    );
    assert_eq!(reply["queue"]["agents_online"], 0);
}

#[tokio::test]
async fn a_vip_customer_goes_to_a_person_at_once_ahead_of_the_queue() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let regular = app.new_conversation().await;
    app.say(&regular, ASK_FOR_PERSON).await;
    let vip = app.new_conversation().await;
    let vip_id = vip.parse().unwrap();
    let tag_vip = Append::events(vip_id, now_ms(), Vec::<EventKind>::new()).with_change(|t| {
        t.metadata.insert("tier".into(), "vip".into());
        Ok(())
    });
    app.store.append(tag_vip).await.unwrap();
    let reply = app.say(&vip, "hello").await;
    assert_eq!(reply["escalation_reason"], "tenant_rule", "{reply}");
    let queue = alice.queue().await;
    assert_eq!(queue["items"][0]["id"], vip.as_str(), "{queue}");
    assert_eq!(queue["items"][0]["priority"], 3);
    assert_eq!(
        queue["items"][0]["evidence"],
        "tenant demo rule: tier = vip"
    );
    assert_eq!(queue["items"][1]["id"], regular.as_str());
}

#[tokio::test]
async fn anger_outranks_a_plain_request_and_equal_priorities_keep_their_order() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let (first, second, angry) = (
        app.new_conversation().await,
        app.new_conversation().await,
        app.new_conversation().await,
    );
    app.say(&first, ASK_FOR_PERSON).await;
    app.say(&second, ASK_FOR_PERSON).await;
    app.say(&angry, "I am furious, your service is the worst!")
        .await;
    let queue = alice.queue().await;
    let order: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [angry.as_str(), first.as_str(), second.as_str()]);
    let (_, reply) = app.try_say(&second, "still waiting").await;
    assert_eq!(reply["queue"]["position"], 3, "{reply}");
}

#[tokio::test]
async fn auto_assignment_goes_to_the_least_loaded_agent_under_capacity() {
    let app = spawn_desk(|settings| {
        settings.queue.auto_assign = true;
        settings.queue.agent_capacity = 1;
    })
    .await;
    let alice = app.agent("demo", "alice").await;
    let _bob = app.agent("demo", "bob").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = app.new_conversation().await;
        app.say(&id, ASK_FOR_PERSON).await;
        ids.push(id);
    }
    let queue = alice.queue().await;
    let items = queue["items"].as_array().unwrap();
    let mut assignees: Vec<&str> = items
        .iter()
        .filter_map(|i| i["assignee"].as_str())
        .collect();
    assignees.sort_unstable();
    assert_eq!(assignees, ["alice", "bob"], "{queue}");
    let waiting: Vec<&str> = items
        .iter()
        .filter(|i| i["status"] == "escalated")
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, [ids[2].as_str()]);
    // Alice frees her slot: the waiting conversation comes to her.
    let mine = items.iter().find(|i| i["assignee"] == "alice").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice
        .post(
            &format!("/v1/console/conversations/{mine}/resolve"),
            json!({}),
        )
        .await;
    let after = alice.queue().await;
    let third = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == ids[2].as_str())
        .unwrap()
        .clone();
    assert_eq!(third["assignee"], "alice", "{after}");
}

#[tokio::test]
async fn an_agent_coming_online_is_given_the_waiting_conversation() {
    let app = spawn_desk(|settings| settings.queue.auto_assign = true).await;
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    let alice = app.agent("demo", "alice").await;
    let (_, conversation) = alice.get(&format!("/v1/console/conversations/{id}")).await;
    assert_eq!(conversation["status"], "assigned");
    assert_eq!(conversation["assignee"], "alice");
}

#[tokio::test]
async fn the_bot_resolves_when_the_customer_says_goodbye_after_an_answer() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let hello = app.say(&id, "hello").await;
    assert_eq!(
        hello["ticket_status"], "open",
        "a greeting alone closes nothing"
    );
    app.say(&id, "How do I turn on roaming before I travel abroad?")
        .await;
    let bye = app.say(&id, "goodbye").await;
    assert_eq!(bye["ticket_status"], "resolved", "{bye}");
    let rating = format!("/v1/conversations/{id}/rating");
    assert_eq!(app.customer_post(&rating, json!({"score": 5})).await.0, 201);
    let again = app.say(&id, "one more question: what is eSIM?").await;
    assert_eq!(
        again["ticket_status"], "open",
        "a new message reopens it: {again}"
    );
}

#[tokio::test]
async fn ending_the_chat_resolves_it_so_the_widget_can_ask_for_a_rating() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    app.say(&id, "hello").await;
    let (status, ticket) = app
        .customer_post(&format!("/v1/conversations/{id}/resolve"), json!({}))
        .await;
    assert_eq!((status, ticket["status"].as_str()), (200, Some("resolved")));
    let events = app.transcript(&id).await["events"].clone();
    assert_eq!(events.as_array().unwrap().last().unwrap()["by"], "customer");
}

#[tokio::test]
async fn a_chinese_widget_pressing_talk_to_a_person_first_gets_the_chinese_reply() {
    let app = spawn_desk(|_| {}).await;
    let (status, ticket) = app
        .customer_post("/v1/conversations", json!({"lang": "zh"}))
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    let (status, reply) = app
        .customer_post(&format!("/v1/conversations/{id}/handoff"), json!({}))
        .await;
    assert_eq!(status, 200, "{reply}");
    let text = reply["text"].as_str().unwrap();
    assert!(
        text.contains("转接人工客服") && text.contains("不在线"),
        "{reply}"
    );

    let (_, english) = app
        .customer_post("/v1/conversations", json!({"lang": "en"}))
        .await;
    let id = english["id"].as_str().unwrap();
    let (_, reply) = app
        .customer_post(&format!("/v1/conversations/{id}/handoff"), json!({}))
        .await;
    assert!(
        reply["text"].as_str().unwrap().contains("support team"),
        "{reply}"
    );
}

#[tokio::test]
async fn the_customer_s_own_words_outrank_the_interface_language() {
    let app = spawn_desk(|_| {}).await;
    let (_, ticket) = app
        .customer_post("/v1/conversations", json!({"lang": "zh"}))
        .await;
    let id = ticket["id"].as_str().unwrap();
    app.say(id, "hello").await;
    let (_, reply) = app
        .customer_post(&format!("/v1/conversations/{id}/handoff"), json!({}))
        .await;
    assert!(
        reply["text"].as_str().unwrap().contains("support team"),
        "{reply}"
    );
}

#[tokio::test]
async fn an_unknown_interface_language_is_refused_naming_the_field() {
    let app = spawn_desk(|_| {}).await;
    let before = app.store_counts().await;
    let (status, body) = app
        .customer_post("/v1/conversations", json!({"lang": "fr"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`lang`"),
        "{body}"
    );
    assert_eq!(app.store_counts().await, before, "nothing stored");
}

#[tokio::test]
async fn the_customer_view_and_the_queue_event_say_offline_while_nobody_is_online() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    assert_eq!(app.transcript(&id).await["offline"], false, "not waiting");
    let (status, _) = app
        .customer_post(&format!("/v1/conversations/{id}/handoff"), json!({}))
        .await;
    assert_eq!(status, 200);
    let view = app.transcript(&id).await;
    assert_eq!(view["offline"], true, "{view}");
    assert_eq!(view["queue"]["offline"], true, "{view}");
    let mut stream = app.events(&id, None).await;
    let queue = stream.next_of("queue").await;
    assert_eq!(queue.data["offline"], true, "{:?}", queue.data);

    let _alice = app.agent("demo", "alice").await;
    let queue = stream.next_of("queue").await;
    assert_eq!(queue.data["offline"], false, "{:?}", queue.data);
    let view = app.transcript(&id).await;
    assert_eq!(view["offline"], false, "an agent is online: {view}");
    assert_eq!(view["queue"]["position"], 1, "still waiting: {view}");
}
