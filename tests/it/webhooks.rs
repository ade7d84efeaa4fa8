//! Webhooks over real HTTP: a receiver on port 0 in this process verifies every signature; a
//! receiver that is down and then failing gets every event exactly once, in order per conversation,
//! once it is back; the delivery log and redelivery.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use common::{TestApp, spawn_app_with};

const ADMIN: &str = "admin-token-for-webhook-tests";
const SECRET: &str = "whsec_0123456789abcdef";
const ALL_EVENTS: [&str; 6] = [
    "conversation.created",
    "message.created",
    "conversation.escalated",
    "conversation.assigned",
    "ticket.resolved",
    "rating.created",
];
/// The replay window the README tells receivers to enforce.
const REPLAY_WINDOW_SECONDS: i64 = 300;

/// One request the receiver accepted (signature valid, answered 200).
#[derive(Debug, Clone)]
struct Received {
    body: Value,
    delivery_id: String,
}

#[derive(Default)]
struct Receiver {
    accepted: Mutex<Vec<Received>>,
    bad_signatures: Mutex<Vec<String>>,
    failures_served: Mutex<usize>,
    /// While set, every request gets a 500 (after its signature was checked).
    failing: AtomicBool,
    /// While set, the first conversation seen is answered only after a long pause.
    slow_first_conversation: AtomicBool,
    first_conversation: Mutex<Option<String>>,
}

impl Receiver {
    fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }
}

/// What a receiver does, written independently of the server's code.
fn signature_is_valid(request: &HttpRequest, body: &[u8]) -> Result<(), String> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or(format!("missing {name}"))
    };
    let timestamp = header("X-Switchboard-Timestamp")?;
    let signature = header("X-Switchboard-Signature")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sent: i64 = timestamp.parse().map_err(|_| "timestamp not a number")?;
    if (now - sent).abs() > REPLAY_WINDOW_SECONDS {
        return Err(format!("stale timestamp {sent}"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let given = signature.strip_prefix("v1=").ok_or("no v1= prefix")?;
    let given = hex::decode(given).map_err(|_| "signature not hex")?;
    mac.verify_slice(&given)
        .map_err(|_| "signature mismatch".to_string())
}

async fn hook(state: web::Data<Receiver>, request: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(problem) = signature_is_valid(&request, &body) {
        state.bad_signatures.lock().unwrap().push(problem);
        return HttpResponse::Unauthorized().finish();
    }
    if state.failing.load(Ordering::SeqCst) {
        *state.failures_served.lock().unwrap() += 1;
        return HttpResponse::InternalServerError().finish();
    }
    let delivery_id = request
        .headers()
        .get("X-Switchboard-Delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: Value = serde_json::from_slice(&body).expect("JSON body");
    if state.slow_first_conversation.load(Ordering::SeqCst) {
        let conversation = body["conversation_id"].as_str().unwrap_or("").to_string();
        let first = state
            .first_conversation
            .lock()
            .unwrap()
            .get_or_insert(conversation.clone())
            .clone();
        if first == conversation {
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }
    }
    state
        .accepted
        .lock()
        .unwrap()
        .push(Received { body, delivery_id });
    HttpResponse::Ok().finish()
}

/// Serves the receiver on `listener` (its URL is `http://127.0.0.1:{port}/hook`).
fn serve_receiver(listener: TcpListener, receiver: Arc<Receiver>) {
    let state = web::Data::from(receiver);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/hook", web::post().to(hook))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
}

async fn spawn_webhook_app() -> TestApp {
    spawn_app_with(|settings| {
        settings.admin.token = ADMIN.into();
        settings.webhooks.poll_interval_ms = 20;
        settings.webhooks.initial_backoff_ms = 20;
        settings.webhooks.max_backoff_ms = 200;
        settings.webhooks.timeout_ms = 2000;
    })
    .await
}

async fn subscribe(app: &TestApp, url: &str) {
    let response = app
        .client
        .put(format!("{}/v1/admin/tenants/demo/webhooks", app.address))
        .bearer_auth(ADMIN)
        .json(&json!({ "endpoints": [{ "url": url, "secret": SECRET, "events": ALL_EVENTS }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["endpoints"][0]["url"], url);
    assert!(body["endpoints"][0].get("secret").is_none(), "{body}");
}

/// The webhook type a stored timeline event raises, mapped here independently of the server.
fn expected_type(event: &Value) -> Option<&'static str> {
    match event["type"].as_str()? {
        "created" => Some("conversation.created"),
        "customer_message" | "agent_message" => Some("message.created"),
        "bot_reply" if !event["text"].is_null() => Some("message.created"),
        "escalated" => Some("conversation.escalated"),
        "assigned" => Some("conversation.assigned"),
        "resolved" => Some("ticket.resolved"),
        "rated" => Some("rating.created"),
        _ => None,
    }
}

/// Every (event id, type) the conversations' stored timelines should raise, in timeline order.
async fn expected_events(app: &TestApp, ids: &[String]) -> Vec<(String, String)> {
    let mut expected = Vec::new();
    for id in ids {
        let transcript = app.transcript(id).await;
        for event in transcript["events"].as_array().unwrap() {
            if let Some(kind) = expected_type(event) {
                expected.push((format!("{id}:{}", event["seq"]), kind.to_string()));
            }
        }
    }
    expected
}

async fn wait_for(receiver: &Receiver, count: usize, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while receiver.accepted.lock().unwrap().len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} deliveries arrived",
            receiver.accepted.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_until_delivered(app: &TestApp, id: &str, limit: Duration) {
    let wanted: u64 = id.parse().expect("a numeric delivery id");
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let log = deliveries(app).await;
        let record = log.iter().find(|d| d["id"].as_u64() == Some(wanted));
        if record.is_some_and(|d| d["status"] == "delivered") {
            return;
        }
        let status = record.map(|d| d["status"].clone());
        assert!(
            tokio::time::Instant::now() < deadline,
            "delivery {id} is {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    let response = app
        .client
        .get(format!(
            "{}/v1/admin/tenants/demo/webhooks/deliveries?limit=500",
            app.address
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_delivery_is_signed_and_the_receiver_verifies_it() {
    let app = spawn_webhook_app().await;
    let receiver = Arc::new(Receiver::default());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    serve_receiver(listener, Arc::clone(&receiver));
    subscribe(&app, &url).await;

    let id = app.new_conversation().await;
    app.say(&id, "hello there").await;
    app.say(&id, "I want to talk to a real person please").await;
    let expected = expected_events(&app, std::slice::from_ref(&id)).await;
    assert_eq!(expected.len(), 6, "{expected:?}");
    wait_for(&receiver, expected.len(), Duration::from_secs(20)).await;

    assert!(receiver.bad_signatures.lock().unwrap().is_empty());
    let got: Vec<(String, String)> = receiver
        .accepted()
        .iter()
        .map(|r| {
            (
                r.body["id"].as_str().unwrap().to_string(),
                r.body["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let first = &receiver.accepted()[1].body;
    assert_eq!(first["author"], "customer");
    assert_eq!(first["tenant"], "demo");
    assert_eq!(first["conversation_id"], id.as_str());
    assert_eq!(first["event"]["text"], "hello there");
    assert_eq!(receiver.accepted()[2].body["author"], "bot");

    for accepted in receiver.accepted() {
        wait_until_delivered(&app, &accepted.delivery_id, Duration::from_secs(20)).await;
    }
    let log = deliveries(&app).await;
    assert_eq!(log.len(), 6);
    for delivery in &log {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_status"], 200);
    }
}

#[tokio::test]
async fn redeliver_sends_the_same_event_again_under_a_new_delivery() {
    let app = spawn_webhook_app().await;
    let receiver = Arc::new(Receiver::default());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    serve_receiver(listener, Arc::clone(&receiver));
    subscribe(&app, &url).await;
    app.new_conversation().await;
    wait_for(&receiver, 1, Duration::from_secs(20)).await;
    let original = &receiver.accepted()[0];
    // The receiver has the body before the sender records the 200: redelivering a delivery
    // still pending only retries it, so wait for the record.
    wait_until_delivered(&app, &original.delivery_id, Duration::from_secs(20)).await;

    let response = app
        .client
        .post(format!(
            "{}/v1/admin/webhooks/deliveries/{}/redeliver",
            app.address, original.delivery_id
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["redelivery_of"].to_string(), original.delivery_id);
    wait_for(&receiver, 2, Duration::from_secs(20)).await;
    let again = &receiver.accepted()[1];
    assert_eq!(again.body, original.body);
    assert_ne!(again.delivery_id, original.delivery_id);
    assert!(receiver.bad_signatures.lock().unwrap().is_empty());
}

#[tokio::test]
async fn webhook_admin_refuses_bad_tokens_configs_and_unknown_deliveries() {
    let app = spawn_webhook_app().await;
    let url = format!("{}/v1/admin/tenants/demo/webhooks", app.address);
    let no_token = app.client.get(&url).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    let cases = [
        json!({ "endpoints": [{ "url": "ftp://x.example/h", "secret": SECRET, "events": ["message.created"] }] }),
        json!({ "endpoints": [{ "url": "http://x.example/h", "secret": "short", "events": ["message.created"] }] }),
        json!({ "endpoints": [{ "url": "http://x.example/h", "secret": SECRET, "events": [] }] }),
    ];
    for body in cases {
        let response = app
            .client
            .put(&url)
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "invalid_webhook", "{error}");
    }
    let unknown_event = json!({ "endpoints": [{ "url": "http://x.example/h", "secret": SECRET, "events": ["ticket.exploded"] }] });
    let response = app
        .client
        .put(&url)
        .bearer_auth(ADMIN)
        .json(&unknown_event)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let listed: Value = app
        .client
        .get(&url)
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["endpoints"], json!([]), "nothing was stored");
    for id in ["999999", "not-a-number"] {
        let response = app
            .client
            .post(format!(
                "{}/v1/admin/webhooks/deliveries/{id}/redeliver",
                app.address
            ))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "delivery_not_found");
    }
}

#[tokio::test]
async fn endpoints_for_a_tenant_not_in_the_registry_are_refused_with_404() {
    let app = spawn_webhook_app().await;
    let url = format!("{}/v1/admin/tenants/ghost/webhooks", app.address);
    let config = json!({ "endpoints": [{ "url": "http://x.example/h", "secret": SECRET, "events": ["message.created"] }] });
    let response = app
        .client
        .put(&url)
        .bearer_auth(ADMIN)
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "tenant_not_found", "{error}");
    let listed: Value = app
        .client
        .get(&url)
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["endpoints"], json!([]), "nothing was stored");

    let created = app
        .client
        .post(format!("{}/v1/admin/tenants", app.address))
        .bearer_auth(ADMIN)
        .json(&json!({ "id": "ghost", "name": "Ghost" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let response = app
        .client
        .put(&url)
        .bearer_auth(ADMIN)
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a registered tenant is accepted");
}

/// A free port below Linux's ephemeral range (32768 and up): while the receiver is down, an
/// outgoing connection of this process could otherwise take a port from that range as its source
/// port, and binding the receiver there later fails with "address in use".
fn port_below_the_ephemeral_range() -> u16 {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find(|port| TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port between 20000 and 32000")
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_every_event_once_in_order_per_conversation() {
    let app = spawn_webhook_app().await;
    // A port nobody listens on: connections are refused until the receiver starts there.
    let port = port_below_the_ephemeral_range();
    subscribe(&app, &format!("http://127.0.0.1:{port}/hook")).await;

    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.new_conversation().await);
    }
    let lines = ["hello there", "how do I turn on roaming?", "thanks"];
    for line in lines {
        for id in &ids {
            app.say(id, line).await;
        }
    }
    let expected = expected_events(&app, &ids).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = deliveries(&app).await;
    assert_eq!(log.len(), expected.len());
    assert!(
        log.iter().all(|d| d["status"] == "pending"),
        "nothing can be delivered yet"
    );
    assert!(
        log.iter().any(|d| d["attempts"].as_u64().unwrap() >= 2
            && d["last_error"].as_str().is_some_and(|e| !e.is_empty())),
        "refused connections are retried and logged"
    );

    // Back, but failing with 500s for a while.
    let receiver = Arc::new(Receiver::default());
    receiver.failing.store(true, Ordering::SeqCst);
    serve_receiver(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        Arc::clone(&receiver),
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(*receiver.failures_served.lock().unwrap() >= 3);
    assert!(receiver.accepted().is_empty());

    receiver.failing.store(false, Ordering::SeqCst);
    wait_for(&receiver, expected.len(), Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let accepted = receiver.accepted();
    assert!(receiver.bad_signatures.lock().unwrap().is_empty());
    let ids_seen: Vec<String> = accepted
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids_seen.len(),
        expected.len(),
        "no duplicates arrived later"
    );
    let unique: HashSet<&String> = ids_seen.iter().collect();
    assert_eq!(unique.len(), ids_seen.len(), "every event exactly once");
    let expected_ids: HashSet<&String> = expected.iter().map(|(id, _)| id).collect();
    assert_eq!(unique, expected_ids);
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    for received in &accepted {
        let conversation = received.body["conversation_id"]
            .as_str()
            .unwrap()
            .to_string();
        let seq = received.body["event"]["seq"].as_u64().unwrap();
        if let Some(previous) = last_seq.insert(conversation, seq) {
            assert!(seq > previous, "out of order: {seq} after {previous}");
        }
    }
    let log = deliveries(&app).await;
    assert!(log.iter().all(|d| d["status"] == "delivered"));
}

#[tokio::test]
async fn a_slow_receiver_for_one_conversation_does_not_hold_up_another() {
    let app = spawn_webhook_app().await;
    let receiver = Arc::new(Receiver::default());
    receiver
        .slow_first_conversation
        .store(true, Ordering::SeqCst);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        listener.local_addr().unwrap().port()
    );
    serve_receiver(listener, Arc::clone(&receiver));
    subscribe(&app, &url).await;

    let slow = app.new_conversation().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fast = app.new_conversation().await;
    wait_for(&receiver, 2, Duration::from_secs(20)).await;
    let order: Vec<String> = receiver
        .accepted()
        .iter()
        .map(|r| r.body["conversation_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, [fast, slow], "the fast conversation did not wait");
}
