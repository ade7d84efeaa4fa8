//! The agent console and the customer's side of a takeover, over real HTTP: sessions, tenant
//! isolation, the full flow from "talk to a person" to the rating, and the live event stream.

use crate::common;

use std::time::Duration;

use serde_json::{Value, json};

use common::desk::{PASSWORD, spawn_desk};

const ASK_FOR_PERSON: &str = "I want to talk to a real person please";

#[tokio::test]
async fn console_apis_without_a_session_get_401() {
    let app = spawn_desk(|_| {}).await;
    let id = app.new_conversation().await;
    let gets = [
        "/v1/console/me",
        "/v1/console/queue",
        "/v1/console/stream",
        "/v1/console/canned",
    ];
    let conversation = format!("/v1/console/conversations/{id}");
    let posts = [
        format!("{conversation}/claim"),
        format!("{conversation}/messages"),
        format!("{conversation}/notes"),
        format!("{conversation}/handback"),
        format!("{conversation}/resolve"),
        "/v1/console/status".to_string(),
    ];
    for cookie in [None, Some("sb_session=not-a-real-session")] {
        let mut requests = vec![app.client.get(format!("{}{conversation}", app.address))];
        for path in gets {
            requests.push(app.client.get(format!("{}{path}", app.address)));
        }
        for path in &posts {
            let request = app.client.post(format!("{}{path}", app.address));
            requests.push(request.json(&json!({"text": "hi", "online": true})));
        }
        for mut request in requests {
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            let response = request.send().await.unwrap();
            let url = response.url().to_string();
            assert_eq!(response.status(), 401, "{url}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "not_logged_in", "{url}");
        }
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = spawn_desk(|_| {}).await;
    app.add_agent("demo", "alice", "agent").await;
    let wrong = app
        .customer_post(
            "/v1/console/login",
            json!({"username": "alice", "password": "nope-nope"}),
        )
        .await;
    let unknown = app
        .customer_post(
            "/v1/console/login",
            json!({"username": "mallory", "password": PASSWORD}),
        )
        .await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.1["error"]["code"], "invalid_credentials");
}

#[tokio::test]
async fn an_agent_cannot_read_or_act_on_another_tenants_conversation() {
    let app = spawn_desk(|_| {}).await;
    app.add_tenant("acme").await;
    let alice = app.agent("demo", "alice").await;
    let bob = app.agent("acme", "bob").await;
    let (status, ticket) = app
        .customer_post("/v1/conversations", json!({"tenant": "acme"}))
        .await;
    assert_eq!(status, 201);
    let id = ticket["id"].as_str().unwrap().to_string();
    app.say(&id, ASK_FOR_PERSON).await;
    let base = format!("/v1/console/conversations/{id}");
    let attempts = [
        alice.get(&base).await,
        alice.claim(&id).await,
        alice.reply(&id, "hello").await,
        alice
            .post(&format!("{base}/notes"), json!({"text": "x"}))
            .await,
        alice.post(&format!("{base}/handback"), json!({})).await,
        alice.post(&format!("{base}/resolve"), json!({})).await,
    ];
    for (status, body) in attempts {
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "conversation_not_found");
    }
    assert_eq!(alice.queue().await["items"].as_array().unwrap().len(), 0);
    assert_eq!(bob.queue().await["items"][0]["id"], id.as_str());
    assert_eq!(bob.get(&base).await.0, 200);
}

#[tokio::test]
async fn the_full_flow_from_asking_for_a_person_to_a_rating_is_on_the_timeline() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    let asked = app.say(&id, ASK_FOR_PERSON).await;
    assert_eq!(asked["escalation_reason"], "explicit_request", "{asked}");
    assert_eq!(asked["queue"]["position"], 1, "{asked}");
    assert_eq!(asked["offline"], false);

    let queue = alice.queue().await;
    assert_eq!(queue["agents_online"], 1);
    let item = &queue["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["status"], "escalated");
    assert_eq!(item["intent"], "human_agent");
    assert_eq!(item["last_customer_message"], ASK_FOR_PERSON);

    let (status, claimed) = alice.claim(&id).await;
    assert_eq!(
        (status, claimed["status"].as_str()),
        (200, Some("assigned"))
    );
    let (status, reply) = alice.reply(&id, "Hi, I'm Alice. How can I help?").await;
    assert_eq!(
        (status, reply["type"].as_str()),
        (201, Some("agent_message"))
    );
    let view = app.transcript(&id).await;
    assert_eq!(view["assignee"], "Alice");
    assert!(
        view["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"] == reply["text"])
    );

    let resolve = format!("/v1/console/conversations/{id}/resolve");
    let (status, resolved) = alice.post(&resolve, json!({"tag": "billing"})).await;
    assert_eq!(
        (status, resolved["status"].as_str()),
        (200, Some("resolved"))
    );
    assert_eq!(resolved["tags"], json!(["billing"]));
    let rating = format!("/v1/conversations/{id}/rating");
    let (status, rated) = app
        .customer_post(&rating, json!({"score": 4, "comment": "quick"}))
        .await;
    assert_eq!((status, rated["rating"].as_u64()), (201, Some(4)));

    let (_, timeline) = alice.get(&format!("/v1/console/conversations/{id}")).await;
    let events = timeline["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in [
        "created",
        "customer_message",
        "bot_reply",
        "escalated",
        "assigned",
        "agent_message",
        "resolved",
        "rated",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let times: Vec<u64> = events
        .iter()
        .map(|e| e["at_ms"].as_u64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]) && times[0] > 0,
        "{times:?}"
    );
    assert_eq!(events.last().unwrap()["score"], 4);
}

#[tokio::test]
async fn a_customer_message_during_takeover_gets_no_bot_reply() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    assert_eq!(alice.claim(&id).await.0, 200);
    let during = app
        .say(&id, "How do I switch on roaming for my trip to Spain?")
        .await;
    assert_eq!(during["action"], "queued", "{during}");
    assert!(during["text"].is_null(), "{during}");
    assert!(during["sources"].as_array().unwrap().is_empty());
    assert_eq!(during["ticket_status"], "assigned");
    let view = app.transcript(&id).await;
    let answered = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "bot_reply" && e["action"] == "answered")
        .count();
    assert_eq!(answered, 0, "{view}");
}

#[tokio::test]
async fn after_a_hand_back_the_bot_answers_again() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    alice.claim(&id).await;
    let handback = format!("/v1/console/conversations/{id}/handback");
    let (status, ticket) = alice.post(&handback, json!({})).await;
    assert_eq!((status, ticket["status"].as_str()), (200, Some("open")));
    let reply = app
        .say(&id, "How do I turn on roaming before I travel abroad?")
        .await;
    assert_eq!(reply["action"], "answered", "{reply}");
}

#[tokio::test]
async fn claims_replies_and_ratings_refuse_the_wrong_moment() {
    let app = spawn_desk(|settings| settings.queue.agent_capacity = 1).await;
    let alice = app.agent("demo", "alice").await;
    let carol = app.agent("demo", "carol").await;
    let (first, second) = (app.new_conversation().await, app.new_conversation().await);
    app.say(&first, ASK_FOR_PERSON).await;
    app.say(&second, ASK_FOR_PERSON).await;
    assert_eq!(
        carol.reply(&first, "hi").await.1["error"]["code"],
        "not_assigned_to_you"
    );
    assert_eq!(alice.claim(&first).await.0, 200);
    assert_eq!(
        alice.claim(&first).await.0,
        200,
        "claiming your own again is a no-op"
    );
    assert_eq!(
        carol.claim(&first).await.1["error"]["code"],
        "already_claimed"
    );
    assert_eq!(
        alice.claim(&second).await.1["error"]["code"],
        "agent_at_capacity"
    );
    let handoff = format!("/v1/conversations/{first}/handoff");
    assert_eq!(
        app.customer_post(&handoff, json!({})).await.1["error"]["code"],
        "already_with_agent"
    );

    let rating = format!("/v1/conversations/{first}/rating");
    let early = app.customer_post(&rating, json!({"score": 4})).await;
    assert_eq!(
        (early.0, early.1["error"]["code"].as_str()),
        (409, Some("not_resolved"))
    );
    alice
        .post(
            &format!("/v1/console/conversations/{first}/resolve"),
            json!({}),
        )
        .await;
    for score in [0, 6] {
        let bad = app.customer_post(&rating, json!({"score": score})).await;
        assert_eq!(
            (bad.0, bad.1["error"]["code"].as_str()),
            (422, Some("invalid_rating"))
        );
    }
    assert_eq!(app.customer_post(&rating, json!({"score": 5})).await.0, 201);
    let again = app.customer_post(&rating, json!({"score": 1})).await;
    assert_eq!(
        (again.0, again.1["error"]["code"].as_str()),
        (409, Some("already_rated"))
    );
}

#[tokio::test]
async fn the_handoff_button_escalates_with_its_evidence() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    let (status, reply) = app
        .customer_post(&format!("/v1/conversations/{id}/handoff"), json!({}))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["escalation_reason"], "explicit_request");
    assert_eq!(reply["queue"]["position"], 1);
    let item = &alice.queue().await["items"][0];
    assert_eq!(item["evidence"], "customer pressed talk to a person");
}

#[tokio::test]
async fn internal_notes_never_reach_the_customer() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    alice.claim(&id).await;
    let notes = format!("/v1/console/conversations/{id}/notes");
    let (status, _) = alice
        .post(&notes, json!({"text": "customer sounds like a VIP"}))
        .await;
    assert_eq!(status, 201);
    alice.reply(&id, "visible reply").await;
    let view = app.transcript(&id).await;
    assert!(!view.to_string().contains("VIP"), "{view}");
    let mut stream = app.events(&id, None).await;
    let mut seen = Vec::new();
    while let Some(event) = stream.next_within(Duration::from_secs(1)).await {
        seen.push(event.kind);
    }
    assert!(
        seen.contains(&"agent_message".to_string()) && !seen.contains(&"internal_note".to_string()),
        "{seen:?}"
    );
    let (_, full) = alice.get(&format!("/v1/console/conversations/{id}")).await;
    assert!(full.to_string().contains("VIP"));
}

#[tokio::test]
async fn the_event_stream_is_live_and_a_reconnect_misses_nothing() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    let mut stream = app.events(&id, None).await;
    let escalated = stream.next_of("escalated").await;
    let queue = stream.next_of("queue").await;
    assert_eq!(queue.data["position"], 1);
    alice.claim(&id).await;
    alice.reply(&id, "first, live").await;
    let live = stream.next_of("agent_message").await;
    assert_eq!(live.data["text"], "first, live");
    let last_seen = live.id.unwrap();
    assert!(last_seen > escalated.id.unwrap());
    drop(stream);

    for text in ["second, while away", "third, while away"] {
        alice.reply(&id, text).await;
    }
    app.say(&id, "are you there?").await;
    let mut again = app.events(&id, Some(last_seen)).await;
    let mut missed = Vec::new();
    while let Some(event) = again.next_within(Duration::from_secs(1)).await {
        missed.push(event);
    }
    let ids: Vec<u64> = missed.iter().filter_map(|e| e.id).collect();
    let expected: Vec<u64> = (last_seen + 1..last_seen + 1 + ids.len() as u64).collect();
    assert_eq!(ids, expected, "contiguous, nothing replayed twice");
    let texts: Vec<&str> = missed
        .iter()
        .filter_map(|e| e.data["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["second, while away", "third, while away", "are you there?"]
    );
    alice.reply(&id, "fourth, live again").await;
    assert_eq!(
        again.next_of("agent_message").await.data["text"],
        "fourth, live again"
    );
}

#[tokio::test]
async fn the_console_stream_announces_new_conversations_in_the_queue() {
    let app = spawn_desk(|_| {}).await;
    let alice = app.agent("demo", "alice").await;
    let response = app
        .client
        .get(format!("{}/v1/console/stream", app.address))
        .header("Cookie", &alice.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = common::desk::Sse::from_response(response);
    assert_eq!(stream.next_of("queue").await.data["items"], json!([]));
    let id = app.new_conversation().await;
    app.say(&id, ASK_FOR_PERSON).await;
    let conversation = stream.next_of("conversation").await;
    assert_eq!(conversation.data["conversation_id"], id.as_str());
    let queue = stream.next_of("queue").await;
    assert_eq!(queue.data["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_username_for_a_while() {
    let app = spawn_desk(|settings| settings.console.max_failed_logins = 3).await;
    app.add_agent("demo", "alice", "agent").await;
    let wrong = json!({"username": "alice", "password": "wrong-password"});
    for _ in 0..3 {
        assert_eq!(
            app.customer_post("/v1/console/login", wrong.clone())
                .await
                .0,
            401
        );
    }
    let right = json!({"username": "alice", "password": PASSWORD});
    let (status, body) = app.customer_post("/v1/console/login", right).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_attempts"))
    );
}
