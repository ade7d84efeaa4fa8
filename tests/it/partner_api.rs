//! The partner API over real HTTP: a partner's desk opens conversations for its customers, reads
//! transcripts, lists, updates and closes tickets, replies as its own agents and searches the
//! knowledge base, and sees nothing of any other tenant whatever ids or headers it tries.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};

use common::TestApp;
use common::tenants::{ADMIN_TOKEN, create_tenant, partner, partner_conversation, spawn_admin_app};

async fn two_tenants() -> (TestApp, String, String) {
    let app = spawn_admin_app(|_| {}).await;
    let a = create_tenant(&app, "alpha", json!({})).await;
    let b = create_tenant(&app, "bravo", json!({})).await;
    (app, a, b)
}

#[tokio::test]
async fn partner_opens_a_conversation_for_its_customer_and_the_bot_answers() {
    let (app, key, _) = two_tenants().await;
    let id = partner_conversation(&app, &key, "cust-42").await;
    let path = format!("/v1/partner/conversations/{id}/messages");
    let body = json!({ "text": "how do I download my bill as a pdf" });
    let (status, reply) = partner(&app, Method::POST, &path, &key, Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["action"], "answered", "{reply}");
    let path = format!("/v1/partner/conversations/{id}");
    let (status, transcript) = partner(&app, Method::GET, &path, &key, None).await;
    assert_eq!(status, 200);
    assert_eq!(transcript["tenant"], "alpha");
    assert_eq!(transcript["customer_id"], "cust-42");
    assert_eq!(transcript["metadata"]["plan"], "gold");
    assert_eq!(transcript["channel"], "partner");
    let kinds: Vec<&str> = transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "customer_message", "bot_reply"]);
}

#[tokio::test]
async fn bad_conversation_fields_are_refused_and_create_nothing() {
    let (app, key, _) = two_tenants().await;
    let before = app.store_counts().await;
    let too_many: serde_json::Map<String, Value> =
        (0..33).map(|i| (format!("k{i}"), json!("v"))).collect();
    for body in [
        json!({ "customer_id": "" }),
        json!({ "customer_id": "c", "metadata": too_many }),
        json!({ "customer_id": "c", "channel": "Web Chat" }),
        json!({ "customer_id": "c", "tenant": "bravo" }),
    ] {
        let (status, error) = partner(
            &app,
            Method::POST,
            "/v1/partner/conversations",
            &key,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body} -> {error}");
    }
    assert_eq!(app.store_counts().await, before);
}

#[tokio::test]
async fn agent_reply_assigns_an_open_conversation_and_silences_the_bot() {
    let (app, key, _) = two_tenants().await;
    let id = partner_conversation(&app, &key, "cust-1").await;
    let path = format!("/v1/partner/conversations/{id}/replies");
    let body = json!({ "agent": "dana", "text": "Hi, Dana here from the desk." });
    let (status, ticket) = partner(&app, Method::POST, &path, &key, Some(body)).await;
    assert_eq!(status, 201, "{ticket}");
    assert_eq!(ticket["status"], "assigned");
    assert_eq!(ticket["assignee"], "dana");
    let path = format!("/v1/partner/conversations/{id}/messages");
    let body = json!({ "text": "how do I download my bill" });
    let (_, reply) = partner(&app, Method::POST, &path, &key, Some(body)).await;
    assert_eq!(reply["action"], "queued", "the bot stays silent: {reply}");
    let transcript = app.transcript(&id).await;
    let events = transcript["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "assigned" && e["agent"] == "dana")
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "agent_message" && e["agent"] == "dana")
    );
}

async fn list(app: &TestApp, key: &str, query: &str) -> (u16, Value) {
    let path = format!("/v1/partner/tickets{query}");
    partner(app, Method::GET, &path, key, None).await
}

#[tokio::test]
async fn tickets_are_listed_by_status_and_paged_with_a_cursor() {
    let (app, a, b) = two_tenants().await;
    let mut mine = Vec::new();
    for n in 0..5 {
        mine.push(partner_conversation(&app, &a, &format!("c{n}")).await);
    }
    partner_conversation(&app, &b, "theirs").await;
    for id in &mine[..2] {
        let path = format!("/v1/partner/tickets/{id}/close");
        let (status, _) = partner(&app, Method::POST, &path, &a, None).await;
        assert_eq!(status, 200);
    }
    let (_, resolved) = list(&app, &a, "?status=resolved").await;
    assert_eq!(resolved["items"].as_array().unwrap().len(), 2);
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_string();
    loop {
        let (status, page) = list(&app, &a, &query).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["tenant"], "alpha");
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        query = format!("?limit=2&cursor={cursor}");
    }
    seen.sort();
    mine.sort();
    assert_eq!(
        seen, mine,
        "every ticket of the tenant once, none of the other's"
    );
    let (_, future) = list(&app, &a, "?updated_since=99999999999999").await;
    assert!(future["items"].as_array().unwrap().is_empty());
    for bad in [
        "?limit=101",
        "?limit=0",
        "?cursor=zzz",
        "?status=lost",
        "?tenant=bravo",
    ] {
        let (status, error) = list(&app, &a, bad).await;
        assert_eq!(status, 422, "{bad} -> {error}");
    }
}

#[tokio::test]
async fn ticket_updates_change_status_assignee_and_tags() {
    let (app, key, _) = two_tenants().await;
    let id = partner_conversation(&app, &key, "c").await;
    let path = format!("/v1/partner/tickets/{id}");
    let body = json!({ "assignee": "lee", "tags": ["billing", "vip", "billing"] });
    let (status, ticket) = partner(&app, Method::PATCH, &path, &key, Some(body)).await;
    assert_eq!(status, 200, "{ticket}");
    assert_eq!(ticket["status"], "assigned");
    assert_eq!(ticket["tags"], json!(["billing", "vip"]));
    let body = json!({ "status": "open" });
    let (_, ticket) = partner(&app, Method::PATCH, &path, &key, Some(body)).await;
    assert_eq!(ticket["status"], "open");
    assert_eq!(ticket["assignee"], Value::Null);
    let before = app.store_counts().await;
    for body in [
        json!({}),
        json!({ "status": "assigned" }),
        json!({ "tags": ["x".repeat(33)] }),
        json!({ "status": "closed" }),
        json!({ "tenant": "bravo" }),
    ] {
        let (status, _) = partner(&app, Method::PATCH, &path, &key, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
    }
    assert_eq!(app.store_counts().await, before);
}

#[tokio::test]
async fn closing_appends_a_resolved_event_and_closing_again_conflicts() {
    let (app, key, _) = two_tenants().await;
    let id = partner_conversation(&app, &key, "c").await;
    let path = format!("/v1/partner/tickets/{id}/close");
    let body = json!({ "agent": "kim", "tag": "billing" });
    let (status, ticket) = partner(&app, Method::POST, &path, &key, Some(body)).await;
    assert_eq!(status, 200);
    assert_eq!(ticket["status"], "resolved");
    let (status, error) = partner(&app, Method::POST, &path, &key, None).await;
    assert_eq!(status, 409);
    assert_eq!(error["error"]["code"], "conversation_resolved");
    let reply = format!("/v1/partner/conversations/{id}/replies");
    let body = json!({ "agent": "kim", "text": "late" });
    let (status, _) = partner(&app, Method::POST, &reply, &key, Some(body)).await;
    assert_eq!(status, 409);
    let transcript = app.transcript(&id).await;
    let last = transcript["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["type"], "resolved");
    assert_eq!(last["by"], "kim");
    assert_eq!(last["tag"], "billing");
}

#[tokio::test]
async fn kb_search_finds_articles_in_the_language_asked_for_each_tenant() {
    let app = spawn_admin_app(|_| {}).await;
    let en = create_tenant(&app, "english", json!({})).await;
    let zh = create_tenant(&app, "chinese", json!({ "widget": { "language": "zh" } })).await;
    let path = "/v1/partner/kb/search?q=roaming&limit=20";
    let (status, en_hits) = partner(&app, Method::GET, path, &en, None).await;
    assert_eq!(status, 200, "{en_hits}");
    assert_eq!(en_hits[0]["lang"], "en", "{en_hits}");
    // An English word finds nothing Chinese (the boost for the tenant's language cannot lift an
    // article the query does not match); the desk of a Chinese tenant searches in Chinese.
    let path = format!("/v1/partner/kb/search?q={}&limit=20", "%E6%BC%AB%E6%B8%B8");
    let (status, zh_hits) = partner(&app, Method::GET, &path, &zh, None).await;
    assert_eq!(status, 200, "{zh_hits}");
    assert_eq!(zh_hits[0]["lang"], "zh", "{zh_hits}");
    assert!(
        zh_hits[0]["article_id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("roaming"),
        "{zh_hits}"
    );
    for bad in ["?q=", "?q=roaming&limit=21", "?limit=3"] {
        let path = format!("/v1/partner/kb/search{bad}");
        let (status, _) = partner(&app, Method::GET, &path, &en, None).await;
        assert_eq!(status, 422, "{bad}");
    }
}

/// Every way tenant A can name one of B's tickets, and a ticket B does not have.
fn id_guesses(theirs: &str) -> Vec<String> {
    let mut guesses = vec![
        theirs.to_string(),
        theirs.to_uppercase(),
        theirs.replace('-', ""),
        format!("{{{theirs}}}"),
        format!("urn:uuid:{theirs}"),
        format!("%20{theirs}"),
        format!("{theirs}%20"),
        format!("%09{theirs}"),
        format!("..%2F{theirs}"),
        format!("{theirs}%2F..%2F..%2Fadmin"),
        "..%2F..%2Fv1%2Fadmin%2Ftenants".to_string(),
        "%2e%2e".to_string(),
        "00000000-0000-0000-0000-000000000000".to_string(),
    ];
    for _ in 0..5 {
        guesses.push(uuid::Uuid::new_v4().to_string());
    }
    guesses
}

#[tokio::test]
async fn tenant_a_finds_nothing_of_tenant_b_whatever_id_it_tries() {
    let (app, a, b) = two_tenants().await;
    let theirs = partner_conversation(&app, &b, "b-customer").await;
    partner(
        &app,
        Method::POST,
        &format!("/v1/partner/conversations/{theirs}/messages"),
        &b,
        Some(json!({ "text": "hello" })),
    )
    .await;
    let before = app.store_counts().await;
    let reply = json!({ "agent": "mallory", "text": "hi" });
    let text = json!({ "text": "hi" });
    let update = json!({ "tags": ["pwned"] });
    for guess in id_guesses(&theirs) {
        let attempts = [
            (
                Method::GET,
                format!("/v1/partner/conversations/{guess}"),
                None,
            ),
            (
                Method::POST,
                format!("/v1/partner/conversations/{guess}/messages"),
                Some(text.clone()),
            ),
            (
                Method::POST,
                format!("/v1/partner/conversations/{guess}/replies"),
                Some(reply.clone()),
            ),
            (Method::GET, format!("/v1/partner/tickets/{guess}"), None),
            (
                Method::PATCH,
                format!("/v1/partner/tickets/{guess}"),
                Some(update.clone()),
            ),
            (
                Method::POST,
                format!("/v1/partner/tickets/{guess}/close"),
                None,
            ),
        ];
        for (method, path, body) in attempts {
            let (status, answer) = partner(&app, method.clone(), &path, &a, body).await;
            assert_eq!(status, 404, "{method} {path} -> {answer}");
            assert!(!answer.to_string().contains("b-customer"), "{answer}");
        }
    }
    assert_eq!(
        app.store_counts().await,
        before,
        "nothing was written to B's ticket"
    );
    // B's id as a cursor only moves the starting point; A still sees only its own (none).
    let (status, page) = list(&app, &a, &format!("?cursor={theirs}")).await;
    assert_eq!(status, 200);
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    let (_, page) = list(&app, &a, "").await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");
    // B still sees its ticket, untouched.
    let (status, ticket) = partner(
        &app,
        Method::GET,
        &format!("/v1/partner/tickets/{theirs}"),
        &b,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ticket["tags"], json!([]));
}

async fn status_with(app: &TestApp, headers: &[(&str, &str)]) -> u16 {
    let mut request = app
        .client
        .get(format!("{}/v1/partner/tickets", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn header_tricks_get_401_or_stay_in_the_keys_tenant() {
    let (app, a, b) = two_tenants().await;
    let theirs = partner_conversation(&app, &b, "b-customer").await;
    let bearer = |key: &str| format!("Bearer {key}");
    let mut changed = a.clone();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    let (bearer_a, bearer_b) = (bearer(&a), bearer(&b));
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("authorization", bearer(ADMIN_TOKEN))],
        vec![("authorization", bearer(&changed))],
        vec![("authorization", bearer(&a.to_uppercase()))],
        vec![("authorization", format!("bearer {a}"))],
        vec![("authorization", format!("Basic {a}"))],
        vec![("authorization", a.clone())],
        vec![("authorization", bearer(&a[..a.len() - 1]))],
        vec![
            ("authorization", bearer_a.clone()),
            ("authorization", bearer_b.clone()),
        ],
        vec![("x-api-key", a.clone()), ("x-tenant", "alpha".into())],
    ];
    for case in &cases {
        let headers: Vec<(&str, &str)> = case.iter().map(|(n, v)| (*n, v.as_str())).collect();
        assert_eq!(status_with(&app, &headers).await, 401, "{case:?}");
    }
    // A's key with B named in every header we can think of: still A's view, B's ticket 404.
    let spoof = [
        ("x-tenant", "bravo"),
        ("x-forwarded-for", "10.9.8.7"),
        ("x-forwarded-host", "bravo.example"),
        ("forwarded", "for=10.9.8.7;host=bravo"),
    ];
    let response = spoof
        .iter()
        .fold(
            app.client
                .get(format!("{}/v1/partner/tickets/{theirs}", app.address))
                .bearer_auth(&a),
            |request, (name, value)| request.header(*name, *value),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // A partner key is no admin token.
    let response = app
        .client
        .get(format!("{}/v1/admin/tenants", app.address))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_revoked_key_gets_401_at_once() {
    let (app, a, _) = two_tenants().await;
    assert_eq!(
        status_with(&app, &[("authorization", &format!("Bearer {a}"))]).await,
        200
    );
    let key_id = &a["sb_live_".len().."sb_live_".len() + 12];
    let response = app
        .client
        .delete(format!(
            "{}/v1/admin/tenants/alpha/keys/{key_id}",
            app.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let code = status_with(&app, &[("authorization", &format!("Bearer {a}"))]).await;
    assert_eq!(code, 401);
}
