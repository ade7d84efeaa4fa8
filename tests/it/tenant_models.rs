//! A tenant with its own intent model: its conversations are classified by that model, everyone
//! else's by the shared one, and a model directory that does not load is refused at creation.

use crate::common;

use std::path::Path;

use serde_json::json;
use switchboard::nlu::head::TrainOptions;
use switchboard::nlu::{dataset, train};

const ADMIN_TOKEN: &str = "test-admin-token";
const PIZZA: &str = "I want to order a large pepperoni pizza";

async fn create_tenant(app: &common::TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/admin/tenants", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request")
}

async fn conversation_of(app: &common::TestApp, tenant: &str) -> String {
    let response = app
        .client
        .post(format!("{}/v1/conversations", app.address))
        .json(&json!({ "tenant": tenant }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn a_tenant_with_its_own_model_is_classified_by_it_and_others_are_not() {
    let examples = dataset::load(Path::new("tests/fixtures/intents/train.yaml")).expect("fixture");
    let model =
        train::train(&common::encoder(), &examples, TrainOptions::default()).expect("train");
    let dir = tempfile::tempdir().expect("temp dir");
    model.save(dir.path()).expect("save");
    let app = common::spawn_app_with(|s| s.admin.token = ADMIN_TOKEN.into()).await;

    let broken = create_tenant(
        &app,
        json!({ "id": "broken", "name": "Broken", "intent_model_dir": "/no/such/model" }),
    )
    .await;
    assert_eq!(broken.status(), 422);
    let error: serde_json::Value = broken.json().await.expect("json");
    assert_eq!(error["error"]["code"], "model_rejected");
    let created = create_tenant(
        &app,
        json!({ "id": "pizzeria", "name": "Pizzeria", "intent_model_dir": dir.path() }),
    )
    .await;
    assert_eq!(created.status(), 201);

    let own = app
        .say(&conversation_of(&app, "pizzeria").await, PIZZA)
        .await;
    assert_eq!(own["intent"]["name"], "order_pizza", "{own}");
    let shared = app.say(&conversation_of(&app, "demo").await, PIZZA).await;
    assert_ne!(shared["intent"]["name"], "order_pizza", "{shared}");
    let unknown = app
        .client
        .post(format!("{}/v1/conversations", app.address))
        .json(&json!({ "tenant": "broken" }))
        .send()
        .await
        .expect("request");
    assert_eq!(unknown.status(), 404, "a refused tenant was not created");
}
