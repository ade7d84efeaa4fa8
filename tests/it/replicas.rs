//! Two Switchboard replicas on one PostgreSQL database (two real servers on two ports, one
//! schema): a conversation started on A and continued on B, an agent on A whose reply reaches a
//! widget stream held on B, a webhook receiver that gets every event once and in order although
//! both replicas run a delivery worker, a knowledge-base edit on A answered by B, and claims
//! racing across the replicas with one winner. Runs when `SWITCHBOARD_TEST_POSTGRES` is set (as
//! `make test` does); sled has one process per store, so there is nothing to test there.

use crate::common;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use common::TestApp;
use common::desk::{ADMIN_TOKEN, spawn_desk};

/// Replicas A and B on one fresh schema, or None when the suite runs on sled.
async fn two_replicas() -> Option<(TestApp, TestApp)> {
    if common::test_postgres().is_none() {
        eprintln!("SWITCHBOARD_TEST_POSTGRES is not set: no replicas to test");
        return None;
    }
    let schema = common::fresh_schema();
    let shared = |settings: &mut switchboard::config::Settings| {
        settings.storage.schema = schema.clone();
        settings.storage.kb_poll_seconds = 1;
        settings.webhooks.poll_interval_ms = 20;
        settings.queue.auto_assign = false;
    };
    let a = spawn_desk(shared).await;
    let b = spawn_desk(shared).await;
    Some((a, b))
}

#[derive(Default)]
struct Receiver {
    /// Event ids (conversation:seq) in arrival order.
    received: Mutex<Vec<String>>,
}

async fn hook(receiver: web::Data<Receiver>, body: web::Json<Value>) -> HttpResponse {
    let id = body["id"].as_str().unwrap_or_default().to_string();
    receiver.received.lock().unwrap().push(id);
    HttpResponse::Ok().finish()
}

fn start_receiver() -> (String, Arc<Receiver>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let receiver = Arc::new(Receiver::default());
    let state = web::Data::from(Arc::clone(&receiver));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/hook", web::post().to(hook))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, receiver)
}

async fn subscribe(app: &TestApp, url: &str) {
    let body = json!({ "endpoints": [{
        "url": url, "secret": "0123456789abcdef0123",
        "events": ["conversation.created", "message.created", "conversation.assigned"]
    }]});
    let response = app
        .client
        .put(format!("{}/v1/admin/tenants/demo/webhooks", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Waits until `check` holds, polling for up to `limit`.
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_on_one_replica_reaches_a_customer_streaming_from_the_other() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let (url, receiver) = start_receiver();
    subscribe(&a, &url).await;
    let id = a.new_conversation().await;
    let mut stream = b.events(&id, None).await;
    let reply = b.say(&id, "I want to talk to a person please").await;
    assert_eq!(reply["action"], "escalated", "{reply}");
    let alice = a.agent("demo", "alice").await;
    let (status, _) = alice.claim(&id).await;
    assert_eq!(status, 200);
    let (status, _) = alice.reply(&id, "Hi, Alice here from replica A").await;
    assert_eq!(status, 201);
    let message = stream.next_of("agent_message").await;
    assert_eq!(message.data["text"], "Hi, Alice here from replica A");

    // The receiver gets every event of the timeline that raises a subscribed type, once each,
    // in timeline order, though both replicas deliver.
    let transcript = a.transcript(&id).await;
    let expected: Vec<String> = transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| match e["type"].as_str() {
            Some("created" | "customer_message" | "agent_message" | "assigned") => true,
            Some("bot_reply") => !e["text"].is_null(),
            _ => false,
        })
        .map(|e| format!("{id}:{}", e["seq"]))
        .collect();
    let complete = eventually(Duration::from_secs(10), async || {
        receiver.received.lock().unwrap().len() >= expected.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received.lock().unwrap().clone();
    assert!(complete, "received {received:?}, expected {expected:?}");
    assert_eq!(received, expected, "each event once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_knowledge_base_edit_on_one_replica_is_answered_by_the_other_within_seconds() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let article = json!({
        "id": "moon-roaming", "title": "Roaming on the Moon base", "lang": "en",
        "tags": ["moon"], "body": "Lunar roaming costs $99 a minute from the Moon base relay."
    });
    let created = a
        .client
        .post(format!("{}/v1/admin/kb/articles", a.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&article)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let listed = eventually(Duration::from_secs(5), async || {
        let listing: Value = b
            .client
            .get(format!("{}/v1/admin/kb/articles", b.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing.to_string().contains("moon-roaming")
    })
    .await;
    assert!(listed, "replica B serves the article replica A added");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_racing_on_two_replicas_have_one_winner() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let id = a.new_conversation().await;
    a.say(&id, "I want to talk to a person please").await;
    let alice = a.agent("demo", "alice").await;
    b.add_agent("demo", "bob", "agent").await;
    let bob = b.login("bob").await;
    let (on_a, on_b) = tokio::join!(alice.claim(&id), bob.claim(&id));
    let mut statuses = [on_a.0, on_b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{on_a:?} {on_b:?}");
    let transcript = b.transcript(&id).await;
    let assigned: HashMap<String, usize> = transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "assigned")
        .fold(HashMap::new(), |mut seen, e| {
            *seen.entry(e["agent"].to_string()).or_default() += 1;
            seen
        });
    assert_eq!(assigned.values().sum::<usize>(), 1, "{assigned:?}");
}
