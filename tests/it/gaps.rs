//! The improvement loop over real HTTP (issue 14, item 5): what the bot could not answer shows up
//! in the admin's gaps view, grouped by topic; an agent's answer in a resolved conversation
//! becomes an article draft that, once published, answers the next customer; customer messages
//! become training examples in `switchboard train`'s YAML.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::TestApp;
use common::desk::{ADMIN_TOKEN, Agent, spawn_desk};

/// A question the classifier reads with confidence (roaming_activate) but no article answers
/// (the answerability model rejects the best hit), and the same question reworded.
const QUESTION: &str = "Can I use my phone on a plane while flying?";
const REWORDED: &str = "Will my phone work on a plane in the air?";
const ASK_FOR_PERSON: &str = "I want to talk to a real person please";
const ANSWER: &str = "Yes, on airlines with in-flight mobile service: your phone joins the plane's \
    onboard network, billed as roaming outside the Travel Zone. Turn on roaming before you board, \
    or use the plane's Wi-Fi with Wi-Fi Calling.";

/// A conversation of `tenant` where the customer asks `question`, the bot cannot answer, the
/// customer asks for a person and `agent` answers; resolved if `resolve`.
async fn answered_by_agent(
    app: &TestApp,
    agent: &Agent<'_>,
    tenant: &str,
    question: &str,
    resolve: bool,
) -> String {
    let (status, ticket) = app
        .customer_post("/v1/conversations", json!({ "tenant": tenant }))
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().expect("id").to_string();
    let reply = app.say(&id, question).await;
    assert_ne!(reply["action"], "answered", "{reply}");
    if reply["action"] != "escalated" {
        let asked = app.say(&id, ASK_FOR_PERSON).await;
        assert_eq!(asked["action"], "escalated", "{asked}");
    }
    assert_eq!(agent.claim(&id).await.0, 200);
    assert_eq!(agent.reply(&id, ANSWER).await.0, 201);
    if resolve {
        let path = format!("/v1/console/conversations/{id}/resolve");
        let (status, body) = agent.post(&path, json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

/// The topic whose examples include `text`.
fn topic_with<'r>(report: &'r Value, text: &str) -> Option<&'r Value> {
    report["topics"].as_array()?.iter().find(|topic| {
        topic["examples"]
            .as_array()
            .is_some_and(|examples| examples.iter().any(|e| e["text"] == text))
    })
}

#[tokio::test]
async fn unanswered_questions_are_grouped_into_a_topic_for_the_tenants_admin_only() {
    let app = spawn_desk(|_| {}).await;
    app.add_tenant("acme").await;
    app.add_agent("demo", "ada", "admin").await;
    app.add_agent("acme", "bea", "admin").await;
    let ada = app.login("ada").await;
    let bea = app.login("bea").await;
    let alice = app.agent("demo", "alice").await;
    answered_by_agent(&app, &alice, "demo", QUESTION, true).await;
    answered_by_agent(&app, &alice, "demo", REWORDED, false).await;
    let (status, report) = ada.get("/v1/console/gaps").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["tenant"], "demo");
    let topic = topic_with(&report, QUESTION).expect("a topic with the question");
    assert_eq!(topic["count"], 2, "{report}");
    assert_eq!(topic["conversations"], 2, "{topic}");
    assert_eq!(topic["lang"], "en");
    assert_eq!(topic["answered_by_agent"], 2, "{topic}");
    assert!(
        topic_with(&report, REWORDED).is_some_and(|t| t == topic),
        "{report}"
    );
    assert!(topic["latest_at_ms"].as_u64().unwrap_or(0) > 0);
    let asked_for_person = topic_with(&report, ASK_FOR_PERSON);
    assert!(
        asked_for_person.is_none(),
        "a request for a person is no gap: {report}"
    );

    let (status, other) = bea.get("/v1/console/gaps").await;
    assert_eq!(status, 200);
    assert_eq!(other["tenant"], "acme");
    assert_eq!(other["topics"].as_array().map(Vec::len), Some(0), "{other}");

    let (status, body) = alice.get("/v1/console/gaps").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("admin_only"))
    );
    let response = app
        .client
        .get(format!("{}/v1/console/gaps", app.address))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_logged_in");
}

#[tokio::test]
async fn the_gaps_view_sorts_by_size_or_time_and_refuses_bad_parameters() {
    let app = spawn_desk(|_| {}).await;
    app.add_agent("demo", "ada", "admin").await;
    let ada = app.login("ada").await;
    let alice = app.agent("demo", "alice").await;
    answered_by_agent(&app, &alice, "demo", QUESTION, true).await;
    answered_by_agent(&app, &alice, "demo", REWORDED, true).await;
    answered_by_agent(&app, &alice, "demo", "我的宠物狗可以用我的流量套餐吗", true).await;
    let (_, biggest) = ada.get("/v1/console/gaps").await;
    assert_eq!(biggest["sort"], "biggest");
    assert_eq!(biggest["topics"][0]["count"], 2, "{biggest}");
    let (_, newest) = ada.get("/v1/console/gaps?sort=newest").await;
    assert_eq!(newest["topics"][0]["lang"], "zh", "{newest}");
    assert_eq!(newest["topics"][0]["count"], 1, "{newest}");
    for bad in ["sort=oldest", "days=0", "max_tickets=0", "colour=red"] {
        let (status, body) = ada.get(&format!("/v1/console/gaps?{bad}")).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(body["error"]["code"].is_string(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn an_agents_answer_published_as_an_article_answers_the_next_customer() {
    let app = common::spawn_app_with_own_kb(|settings| {
        settings.admin.token = ADMIN_TOKEN.into();
    })
    .await;
    app.add_agent("demo", "ada", "admin").await;
    let ada = app.login("ada").await;
    let alice = app.agent("demo", "alice").await;
    let id = answered_by_agent(&app, &alice, "demo", QUESTION, true).await;

    let path = format!("/v1/console/conversations/{id}/drafts");
    let (status, draft) = alice.post(&path, json!({ "kind": "article" })).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["created_by"], "alice");
    let article = &draft["article"];
    assert_eq!(article["title"], QUESTION, "{draft}");
    assert_eq!(article["body"], ANSWER, "{draft}");
    assert_eq!(article["lang"], "en");
    assert_eq!(article["intents"], json!(["roaming_activate"]), "{draft}");
    assert_eq!(article["questions"], json!([QUESTION]), "{draft}");
    let draft_id = draft["id"].as_str().expect("id");
    let draft_path = format!("/v1/console/drafts/{draft_id}");

    let mut edited = article.clone();
    edited["id"] = json!("phone-on-a-plane");
    edited["title"] = json!("Use your phone on a plane");
    let edit = json!({ "article": edited });
    let (status, body) = alice.send(Method::PUT, &draft_path, Some(edit)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["article"]["id"], "phone-on-a-plane");
    let (_, listed) = ada.get("/v1/console/drafts").await;
    assert_eq!(listed["drafts"][0]["id"], draft_id, "{listed}");

    let (status, body) = alice
        .post(&format!("{draft_path}/publish"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("admin_only"))
    );
    let (status, published) = ada.post(&format!("{draft_path}/publish"), json!({})).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["draft"]["status"], "published");
    assert_eq!(published["draft"]["published_by"], "ada");

    let (status, ticket) = app
        .customer_post("/v1/conversations", json!({ "tenant": "demo" }))
        .await;
    assert_eq!(status, 201);
    let next = ticket["id"].as_str().expect("id");
    let reply = app.say(next, QUESTION).await;
    assert_eq!(reply["action"], "answered", "{reply}");
    assert_eq!(reply["sources"][0]["id"], "phone-on-a-plane", "{reply}");
}

#[tokio::test]
async fn published_training_examples_are_exported_as_training_yaml_for_their_tenant_only() {
    let app = spawn_desk(|_| {}).await;
    app.add_tenant("acme").await;
    app.add_agent("demo", "ada", "admin").await;
    app.add_agent("acme", "bea", "admin").await;
    let ada = app.login("ada").await;
    let bea = app.login("bea").await;
    let alice = app.agent("demo", "alice").await;
    let id = answered_by_agent(&app, &alice, "demo", QUESTION, true).await;
    let path = format!("/v1/console/conversations/{id}/drafts");
    let (status, draft) = ada
        .post(&path, json!({ "kind": "training_examples" }))
        .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["examples"]["texts"][0], QUESTION, "{draft}");
    let draft_path = format!("/v1/console/drafts/{}", draft["id"].as_str().expect("id"));
    let examples =
        json!({ "examples": { "intent": "phone_on_plane", "texts": [QUESTION, REWORDED] } });
    let (status, body) = ada.send(Method::PUT, &draft_path, Some(examples)).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = bea.get(&draft_path).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("draft_not_found"))
    );
    let (status, body) = bea.post(&format!("{draft_path}/publish"), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("draft_not_found"))
    );

    let app = &app;
    let export_of = |tenant: &'static str| async move {
        let response = app
            .client
            .get(format!(
                "{}/v1/admin/training-examples{tenant}",
                app.address
            ))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap_or("");
        assert!(kind.starts_with("application/yaml"), "{kind}");
        response.text().await.expect("text")
    };
    let export = || export_of("");
    assert!(
        !export().await.contains("phone_on_plane"),
        "unpublished examples are not exported"
    );
    let (status, body) = ada.post(&format!("{draft_path}/publish"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let yaml = export().await;
    let parsed: std::collections::BTreeMap<String, Vec<String>> =
        serde_norway::from_str(&yaml).expect("training YAML");
    assert_eq!(parsed["phone_on_plane"], [QUESTION, REWORDED], "{yaml}");
    assert!(!export_of("?tenant=acme").await.contains("phone_on_plane"));
    assert!(export_of("?tenant=demo").await.contains("phone_on_plane"));

    let (status, _) = ada.send(Method::DELETE, &draft_path, None).await;
    assert_eq!(status, 204);
    assert!(
        !export().await.contains("phone_on_plane"),
        "a discarded draft leaves the export"
    );
}

#[tokio::test]
async fn bad_draft_requests_get_a_4xx_with_a_code() {
    let app = spawn_desk(|_| {}).await;
    app.add_agent("demo", "ada", "admin").await;
    let ada = app.login("ada").await;
    let alice = app.agent("demo", "alice").await;
    let open = answered_by_agent(&app, &alice, "demo", QUESTION, false).await;
    let (status, body) = ada
        .post(
            &format!("/v1/console/conversations/{open}/drafts"),
            json!({ "kind": "article" }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_resolved")),
        "{body}"
    );

    let unknown = "/v1/console/drafts/0123456789abcdef";
    for (method, path) in [
        (Method::GET, unknown.to_string()),
        (Method::DELETE, unknown.to_string()),
        (Method::POST, format!("{unknown}/publish")),
    ] {
        let (status, body) = ada.send(method, &path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("draft_not_found"))
        );
    }

    let id = answered_by_agent(&app, &alice, "demo", REWORDED, true).await;
    let path = format!("/v1/console/conversations/{id}/drafts");
    let (status, body) = ada.post(&path, json!({ "kind": "poem" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["code"].is_string());
    let (_, draft) = ada
        .post(&path, json!({ "kind": "training_examples" }))
        .await;
    let draft_path = format!("/v1/console/drafts/{}", draft["id"].as_str().expect("id"));
    let wrong = json!({ "article": { "id": "x", "title": "x", "lang": "en", "intents": [],
        "tags": [], "body": "x" } });
    let (status, body) = ada.send(Method::PUT, &draft_path, Some(wrong)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_draft"))
    );
    let unlabelled = json!({ "examples": { "intent": "no spaces allowed", "texts": ["a"] } });
    let (status, body) = ada.send(Method::PUT, &draft_path, Some(unlabelled)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("invalid_draft"))
    );

    let labelled = json!({ "examples": { "intent": "phone_on_plane", "texts": [REWORDED] } });
    assert_eq!(
        ada.send(Method::PUT, &draft_path, Some(labelled)).await.0,
        200
    );
    assert_eq!(
        ada.post(&format!("{draft_path}/publish"), json!({}))
            .await
            .0,
        200
    );
    let (status, body) = ada.post(&format!("{draft_path}/publish"), json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_published"))
    );
}
