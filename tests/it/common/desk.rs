//! Helpers for the human side over real HTTP: agent accounts through the admin API, console
//! logins with the session cookie, and a small Server-Sent Events reader.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::config::Settings;

use super::{TestApp, spawn_app_with};

pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const PASSWORD: &str = "correct horse battery";

/// A server with the admin API on (to add agents); `adjust` tweaks the settings further.
pub async fn spawn_desk(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.admin.token = ADMIN_TOKEN.into();
        adjust(settings);
    })
    .await
}

/// A logged-in agent: every request carries its session cookie.
pub struct Agent<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
}

impl TestApp {
    /// Registers tenant `id` (conversations of unknown tenants are refused).
    pub async fn add_tenant(&self, id: &str) {
        let response = self
            .client
            .post(format!("{}/v1/admin/tenants", self.address))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "id": id, "name": capitalized(id) }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "create tenant {id}");
    }

    pub async fn add_agent(&self, tenant: &str, username: &str, role: &str) {
        let response = self
            .client
            .post(format!("{}/v1/admin/agents", self.address))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({
                "tenant": tenant, "username": username, "display_name": capitalized(username),
                "role": role, "password": PASSWORD
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "add agent {username}");
    }

    /// Adds an agent of `tenant` and logs it in (which makes it online).
    pub async fn agent(&self, tenant: &str, username: &str) -> Agent<'_> {
        self.add_agent(tenant, username, "agent").await;
        self.login(username).await
    }

    pub async fn login(&self, username: &str) -> Agent<'_> {
        let response = self
            .post_json(
                "/v1/console/login",
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), 200, "login {username}");
        let set_cookie = response.headers()["set-cookie"].to_str().expect("ascii");
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
        let cookie = set_cookie.split(';').next().expect("cookie").to_string();
        Agent { app: self, cookie }
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// Posts a message and returns (status, body) without asserting.
    pub async fn try_say(&self, id: &str, text: &str) -> (u16, Value) {
        let response = self
            .post_json(
                &format!("/v1/conversations/{id}/messages"),
                json!({"text": text}),
            )
            .await;
        (
            response.status().as_u16(),
            response.json().await.expect("json"),
        )
    }

    pub async fn customer_post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.post_json(path, body).await;
        (
            response.status().as_u16(),
            response.json().await.expect("json"),
        )
    }

    /// Opens the customer's event stream of a conversation, from `last_event_id` on.
    pub async fn events(&self, id: &str, last_event_id: Option<u64>) -> Sse {
        let mut request = self
            .client
            .get(format!("{}/v1/conversations/{id}/events", self.address));
        if let Some(seq) = last_event_id {
            request = request.header("Last-Event-ID", seq.to_string());
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Sse::new(response)
    }
}

fn capitalized(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

impl Agent<'_> {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.app.address))
            .header("Cookie", &self.cookie)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header("Cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .expect("request");
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn claim(&self, id: &str) -> (u16, Value) {
        self.post(
            &format!("/v1/console/conversations/{id}/claim"),
            Value::Null,
        )
        .await
    }

    pub async fn reply(&self, id: &str, text: &str) -> (u16, Value) {
        self.post(
            &format!("/v1/console/conversations/{id}/messages"),
            json!({ "text": text }),
        )
        .await
    }

    pub async fn queue(&self) -> Value {
        let (status, queue) = self.get("/v1/console/queue").await;
        assert_eq!(status, 200);
        queue
    }
}

/// One Server-Sent Event: its id (if any), type and data.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub kind: String,
    pub data: Value,
}

pub struct Sse {
    response: reqwest::Response,
    buffer: String,
}

impl Sse {
    pub fn from_response(response: reqwest::Response) -> Sse {
        Sse::new(response)
    }

    fn new(response: reqwest::Response) -> Sse {
        Sse {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or None if none arrives within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse_block(&block) {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(wait, self.response.chunk())
                .await
                .ok()?;
            let bytes = chunk.expect("stream").expect("stream ended");
            self.buffer
                .push_str(std::str::from_utf8(&bytes).expect("utf-8"));
        }
    }

    pub async fn next(&mut self) -> SseEvent {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("an event within 10 s")
    }

    /// The next event of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> SseEvent {
        loop {
            let event = self.next().await;
            if event.kind == kind {
                return event;
            }
        }
    }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let (mut id, mut kind, mut data) = (None, None, None);
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id: ") {
            id = value.parse().ok();
        } else if let Some(value) = line.strip_prefix("event: ") {
            kind = Some(value.to_string());
        } else if let Some(value) = line.strip_prefix("data: ") {
            data = serde_json::from_str(value).ok();
        }
    }
    Some(SseEvent {
        id,
        kind: kind?,
        data: data?,
    })
}

impl Agent<'_> {
    /// Any request with the session cookie: (status, JSON body or Null).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .request(method, format!("{}{path}", self.app.address))
            .header("Cookie", &self.cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        (
            response.status().as_u16(),
            response.json().await.unwrap_or(Value::Null),
        )
    }
}
