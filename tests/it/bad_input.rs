//! Every kind of bad request gets a 4xx with a JSON error naming the problem, and leaves the
//! store exactly as it was.

use crate::common;

use common::{TestApp, spawn_app};
use reqwest::header::CONTENT_TYPE;

async fn expect_error(app: &TestApp, response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status(), status);
    let body: serde_json::Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    let _ = app;
}

async fn post_raw(app: &TestApp, id: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/conversations/{id}/messages", app.address))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn bad_messages_are_rejected_with_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    app.say(&id, "hello").await;
    let before = app.store_counts().await;
    let json = "application/json";
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (json, br#"{"text": ""}"#.to_vec(), 422, "empty_text"),
        (json, br#"{"text": "   \n\t "}"#.to_vec(), 422, "empty_text"),
        (
            json,
            format!(r#"{{"text": "{}"}}"#, "a".repeat(4097)).into_bytes(),
            413,
            "text_too_long",
        ),
        (
            json,
            br#"{"text": "unterminated"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            json,
            b"{\"text\": \"caf\xff\"}".to_vec(),
            400,
            "invalid_utf8",
        ),
        (
            json,
            br#"{"message": "wrong field"}"#.to_vec(),
            422,
            "invalid_request",
        ),
        (json, br#"{"text": 42}"#.to_vec(), 422, "invalid_request"),
        (json, Vec::new(), 400, "invalid_json"),
        (
            "text/plain",
            br#"{"text": "hello"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (json, vec![b' '; 70_000], 413, "payload_too_large"),
    ];
    for (content_type, body, status, code) in cases {
        let response = post_raw(&app, &id, content_type, body).await;
        expect_error(&app, response, status, code).await;
        assert_eq!(
            app.store_counts().await,
            before,
            "case {code} changed the store"
        );
    }
}

#[tokio::test]
async fn a_request_without_content_type_is_unsupported_media() {
    let app = spawn_app().await;
    let id = app.new_conversation().await;
    let before = app.store_counts().await;
    let response = app
        .client
        .post(format!("{}/v1/conversations/{id}/messages", app.address))
        .body(r#"{"text": "hello"}"#)
        .send()
        .await
        .unwrap();
    expect_error(&app, response, 415, "unsupported_media_type").await;
    assert_eq!(app.store_counts().await, before);
}

#[tokio::test]
async fn unknown_conversations_are_404_and_change_nothing() {
    let app = spawn_app().await;
    app.new_conversation().await;
    let before = app.store_counts().await;
    for id in [
        "00000000-0000-4000-8000-000000000000",
        "not-a-uuid",
        "..%2F..%2Fetc",
    ] {
        let response = post_raw(
            &app,
            id,
            "application/json",
            br#"{"text": "hello"}"#.to_vec(),
        )
        .await;
        expect_error(&app, response, 404, "conversation_not_found").await;
        let response = app
            .client
            .get(format!("{}/v1/conversations/{id}", app.address))
            .send()
            .await
            .unwrap();
        expect_error(&app, response, 404, "conversation_not_found").await;
    }
    assert_eq!(app.store_counts().await, before);
}

#[tokio::test]
async fn a_bad_new_conversation_body_is_rejected() {
    let app = spawn_app().await;
    let url = format!("{}/v1/conversations", app.address);
    let response = app
        .client
        .post(&url)
        .json(&serde_json::json!({ "channel": "<script>" }))
        .send()
        .await
        .unwrap();
    expect_error(&app, response, 422, "invalid_request").await;
    let response = app
        .client
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    expect_error(&app, response, 400, "invalid_json").await;
    assert_eq!(app.store_counts().await, (0, 0));
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/v2/nothing", app.address))
        .send()
        .await
        .unwrap();
    expect_error(&app, response, 404, "route_not_found").await;
}
