//! Helpers for the tenant and partner API tests: an app with an admin token, tenants created
//! over the admin API, and requests made with a partner key.

use serde_json::{Value, json};

use super::{TestApp, spawn_app_with};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A server with the admin API on (and the settings `adjust` changes).
pub async fn spawn_admin_app(adjust: impl FnOnce(&mut switchboard::config::Settings)) -> TestApp {
    spawn_app_with(|settings| {
        settings.admin.token = ADMIN_TOKEN.to_string();
        adjust(settings);
    })
    .await
}

/// Creates tenant `id` (with `extra` fields merged in) and returns its first API key.
pub async fn create_tenant(app: &TestApp, id: &str, extra: Value) -> String {
    let mut body = json!({ "id": id, "name": format!("Tenant {id}") });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .client
        .post(format!("{}/v1/admin/tenants", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "create tenant {id}");
    let created: Value = response.json().await.expect("json");
    created["api_key"]["key"].as_str().expect("key").to_string()
}

/// A partner request: method, path (with query), optional JSON body, the key.
pub async fn partner(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Opens a conversation for `customer` through the partner API; returns its id.
pub async fn partner_conversation(app: &TestApp, key: &str, customer: &str) -> String {
    let body = json!({ "customer_id": customer, "metadata": { "plan": "gold" } });
    let (status, ticket) = partner(
        app,
        reqwest::Method::POST,
        "/v1/partner/conversations",
        key,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");
    ticket["id"].as_str().expect("id").to_string()
}
