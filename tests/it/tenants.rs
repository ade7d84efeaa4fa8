//! Tenants over real HTTP and the CLI: the default tenant, the admin API, API keys (shown once,
//! stored hashed, rotated, revoked), the OpenAPI document and docs page, and rate limits.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};
use switchboard::store::Collection;

use common::TestApp;
use common::tenants::{ADMIN_TOKEN, create_tenant, partner, spawn_admin_app};

async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    partner(app, method, path, ADMIN_TOKEN, body).await
}

#[tokio::test]
async fn the_demo_tenant_exists_out_of_the_box_and_unknown_tenants_are_refused() {
    let app = spawn_admin_app(|_| {}).await;
    app.new_conversation().await;
    let before = app.store_counts().await;
    let response = app
        .client
        .post(format!("{}/v1/conversations", app.address))
        .json(&json!({ "tenant": "nobody" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "tenant_not_found");
    assert_eq!(app.store_counts().await, before);
    let (_, tenants) = admin(&app, Method::GET, "/v1/admin/tenants", None).await;
    assert_eq!(tenants[0]["id"], "demo");
    assert_eq!(tenants[0]["widget"]["allowed_origins"], json!(["*"]));
}

#[tokio::test]
async fn admin_creates_tenants_with_settings_and_refuses_bad_ones() {
    let app = spawn_admin_app(|_| {}).await;
    let settings = json!({
        "widget": { "allowed_origins": ["https://acme.example"], "display_name": "Acme Help",
                    "colour": "#ff8800", "language": "zh" },
        "escalation": { "vip_metadata": { "key": "tier", "value": "vip" },
                        "business_hours": { "days": [1, 2, 3, 4, 5], "open": "09:00",
                                            "close": "18:00", "utc_offset_minutes": 480 } },
    });
    let key = create_tenant(&app, "acme", settings).await;
    assert!(key.starts_with("sb_live_"));
    let (status, tenants) = admin(&app, Method::GET, "/v1/admin/tenants", None).await;
    assert_eq!(status, 200);
    let acme = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "acme")
        .unwrap();
    assert_eq!(acme["widget"]["language"], "zh");
    assert_eq!(acme["escalation"]["vip_metadata"]["value"], "vip");
    assert_eq!(acme["escalation"]["business_hours"]["close"], "18:00");
    // The widget can use it now.
    let response = app
        .client
        .post(format!("{}/v1/conversations", app.address))
        .json(&json!({ "tenant": "acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cases = [
        (
            json!({ "id": "acme", "name": "again" }),
            409,
            "tenant_exists",
        ),
        (
            json!({ "id": "Acme Inc", "name": "x" }),
            422,
            "invalid_tenant",
        ),
        (json!({ "id": "x", "name": "" }), 422, "invalid_tenant"),
        (
            json!({ "id": "x", "name": "x", "widget": { "colour": "red" } }),
            422,
            "invalid_tenant",
        ),
        (
            json!({ "id": "x", "name": "x", "widget": { "font": "serif" } }),
            422,
            "invalid_request",
        ),
    ];
    for (body, status, code) in cases {
        let (got, error) = admin(&app, Method::POST, "/v1/admin/tenants", Some(body.clone())).await;
        assert_eq!(
            (got, error["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (status, _) = partner(&app, Method::GET, "/v1/admin/tenants", "wrong", None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_widget_works_only_from_the_tenants_allowed_origins() {
    let app = spawn_admin_app(|_| {}).await;
    let widget = json!({ "widget": { "allowed_origins": ["https://acme.example"] } });
    create_tenant(&app, "acme", widget).await;
    let start = |origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(format!("{}/v1/conversations", app.address))
            .json(&json!({ "tenant": "acme" }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let before = app.store_counts().await;
    for origin in ["https://evil.example", "https://acme.example.evil", "null"] {
        let response = start(Some(origin)).await.unwrap();
        assert_eq!(response.status(), 403, "{origin}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "origin_not_allowed");
    }
    assert_eq!(app.store_counts().await, before);
    assert_eq!(
        start(Some("https://acme.example")).await.unwrap().status(),
        201
    );
    assert_eq!(start(None).await.unwrap().status(), 201);
}

#[tokio::test]
async fn a_key_is_shown_once_and_stored_only_as_a_hash() {
    let app = spawn_admin_app(|_| {}).await;
    let key = create_tenant(&app, "acme", json!({})).await;
    let (_, issued) = admin(&app, Method::POST, "/v1/admin/tenants/acme/keys", None).await;
    let second = issued["api_key"]["key"].as_str().unwrap().to_string();
    for path in ["/v1/admin/tenants", "/v1/admin/tenants/acme/keys"] {
        let (_, listing) = admin(&app, Method::GET, path, None).await;
        let text = listing.to_string();
        assert!(!text.contains(&key) && !text.contains(&second), "{text}");
        assert!(
            !text.contains(&key[20..]),
            "no part of the secret beyond the key id"
        );
    }
    let (_, keys) = admin(&app, Method::GET, "/v1/admin/tenants/acme/keys", None).await;
    assert_eq!(keys.as_array().unwrap().len(), 2);
    // Every document the store holds about tenants and keys, key and value: the secrets are not
    // there, their hashes are.
    let mut everything = Vec::new();
    for collection in [Collection::Tenants, Collection::TenantKeys] {
        for (key, value) in app.store.docs(collection, "").await.unwrap() {
            everything.extend_from_slice(key.as_bytes());
            everything.extend_from_slice(value.to_string().as_bytes());
        }
    }
    let contains = |needle: &[u8]| everything.windows(needle.len()).any(|w| w == needle);
    for secret in [&key, &second] {
        assert!(!contains(secret.as_bytes()));
        assert!(!contains(&secret.as_bytes()[20..]));
        let hash = switchboard::tenants::keys::sha256_hex(secret);
        assert!(contains(hash.as_bytes()), "the hash is what is stored");
    }
}

#[tokio::test]
async fn a_rotated_key_works_and_the_old_one_gets_401() {
    let app = spawn_admin_app(|_| {}).await;
    let old = create_tenant(&app, "acme", json!({})).await;
    let tickets = "/v1/partner/tickets";
    assert_eq!(partner(&app, Method::GET, tickets, &old, None).await.0, 200);
    let body = json!({ "revoke_others": true });
    let (status, rotated) = admin(
        &app,
        Method::POST,
        "/v1/admin/tenants/acme/keys",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{rotated}");
    let new = rotated["api_key"]["key"].as_str().unwrap();
    assert_eq!(rotated["retired"].as_array().unwrap().len(), 1);
    assert_eq!(partner(&app, Method::GET, tickets, new, None).await.0, 200);
    let (status, error) = partner(&app, Method::GET, tickets, &old, None).await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["code"], "invalid_api_key");
    // With a grace period the old key keeps working until it runs out.
    let body = json!({ "revoke_others": true, "grace_seconds": 3600 });
    let (_, graced) = admin(
        &app,
        Method::POST,
        "/v1/admin/tenants/acme/keys",
        Some(body),
    )
    .await;
    let newest = graced["api_key"]["key"].as_str().unwrap();
    assert_eq!(partner(&app, Method::GET, tickets, new, None).await.0, 200);
    assert_eq!(
        partner(&app, Method::GET, tickets, newest, None).await.0,
        200
    );
    assert!(graced["retired"][0]["expires_at_ms"].as_u64().is_some());
}

#[tokio::test]
async fn keys_of_another_tenant_cannot_be_revoked_through_its_path() {
    let app = spawn_admin_app(|_| {}).await;
    let acme = create_tenant(&app, "acme", json!({})).await;
    create_tenant(&app, "other", json!({})).await;
    let key_id = &acme[8..20];
    let path = format!("/v1/admin/tenants/other/keys/{key_id}");
    let (status, error) = admin(&app, Method::DELETE, &path, None).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (404, Some("key_not_found"))
    );
    let (status, _) = admin(
        &app,
        Method::DELETE,
        "/v1/admin/tenants/nobody/keys/x",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        partner(&app, Method::GET, "/v1/partner/tickets", &acme, None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn openapi_lists_every_partner_path_and_the_docs_page_is_self_contained() {
    let app = spawn_admin_app(|_| {}).await;
    let response = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/v1/partner/conversations",
        "/v1/partner/conversations/{id}",
        "/v1/partner/conversations/{id}/messages",
        "/v1/partner/conversations/{id}/replies",
        "/v1/partner/tickets",
        "/v1/partner/tickets/{id}",
        "/v1/partner/tickets/{id}/close",
        "/v1/partner/kb/search",
        "/v1/conversations",
        "/v1/admin/tenants",
        "/v1/admin/tenants/{id}/keys/{key_id}",
        "/v1/partner/analytics",
        "/v1/partner/analytics/tickets.csv",
        "/v1/admin/tenants/{tenant}/webhooks",
        "/v1/admin/tenants/{tenant}/webhooks/deliveries",
        "/v1/admin/webhooks/deliveries/{id}/redeliver",
        "/v1/admin/analytics",
        "/v1/admin/analytics/tickets.csv",
        "/v1/admin/kb/articles",
        "/v1/admin/kb/articles/{id}",
        "/v1/admin/kb/reindex",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(paths["/v1/partner/tickets/{id}"]["patch"].is_object());
    let webhooks = &paths["/v1/admin/tenants/{tenant}/webhooks"];
    assert!(webhooks["put"].is_object() && webhooks["get"].is_object());
    assert!(webhooks["put"]["responses"]["404"].is_object());
    let article = &paths["/v1/admin/kb/articles/{id}"];
    assert!(article["put"].is_object() && article["delete"].is_object());
    assert!(paths["/v1/admin/kb/articles"]["post"].is_object());
    let partner_params = paths["/v1/partner/analytics"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let names: Vec<&str> = partner_params
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["from", "to", "group_by"],
        "no `tenant` for partners"
    );
    assert!(doc["components"]["schemas"]["Delivery"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert!(doc["components"]["schemas"]["Ticket"].is_object());
    let response = app
        .client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(csp, "default-src 'self'");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"src="/docs/docs.js""#));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<style"));
    let js = app
        .client
        .get(format!("{}/docs/docs.js", app.address))
        .send()
        .await
        .unwrap();
    let js = js.text().await.unwrap();
    assert!(js.contains("textContent") && !js.contains("innerHTML"));
}

#[tokio::test]
async fn too_many_requests_from_one_address_get_429_with_retry_after_and_headers_do_not_help() {
    let app = spawn_admin_app(|settings| {
        settings.limits.ip_per_minute = 1;
        settings.limits.ip_burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let response = app
            .client
            .post(format!("{}/v1/conversations", app.address))
            .header("x-forwarded-for", format!("203.0.113.{n}"))
            .header("x-real-ip", format!("203.0.113.{n}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=61).contains(&retry), "{retry}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    // Health and admin endpoints are not counted.
    let health = app
        .client
        .get(format!("{}/health", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app = spawn_admin_app(|settings| {
        settings.limits.ip_per_minute = 1;
        settings.limits.ip_burst = 1;
        settings.limits.trust_forwarded_for = true;
    })
    .await;
    let post = |forwarded: &'static str| {
        app.client
            .post(format!("{}/v1/conversations", app.address))
            .header("x-forwarded-for", forwarded)
            .send()
    };
    assert_eq!(
        post("198.51.100.1, 203.0.113.1").await.unwrap().status(),
        201
    );
    assert_eq!(
        post("198.51.100.9, 203.0.113.1").await.unwrap().status(),
        429
    );
    assert_eq!(post("203.0.113.2").await.unwrap().status(), 201);
}

#[tokio::test]
async fn a_tenant_over_its_quota_gets_429() {
    let app = spawn_admin_app(|settings| {
        settings.limits.tenant_per_minute = 1;
        settings.limits.tenant_burst = 2;
    })
    .await;
    let key = create_tenant(&app, "acme", json!({})).await;
    let other = create_tenant(&app, "other", json!({})).await;
    let tickets = "/v1/partner/tickets";
    assert_eq!(partner(&app, Method::GET, tickets, &key, None).await.0, 200);
    assert_eq!(partner(&app, Method::GET, tickets, &key, None).await.0, 200);
    let (status, error) = partner(&app, Method::GET, tickets, &key, None).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert_eq!(
        partner(&app, Method::GET, tickets, &other, None).await.0,
        200
    );
}

fn cli(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env("SWITCHBOARD__PATHS__DATA_DIR", data_dir)
        .output()
        .expect("run switchboard")
}

#[tokio::test]
async fn the_cli_adds_lists_and_rotates_and_refuses_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let added = cli(
        dir.path(),
        &["tenant", "add", "--id", "acme", "--name", "Acme"],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let out = String::from_utf8_lossy(&added.stdout).to_string();
    let first = out.lines().last().unwrap().to_string();
    assert!(first.starts_with("sb_live_"), "{out}");
    let rotated = cli(dir.path(), &["tenant", "rotate-key", "--tenant", "acme"]);
    assert!(rotated.status.success());
    let out = String::from_utf8_lossy(&rotated.stdout).to_string();
    let second = out.lines().last().unwrap().to_string();
    let listed = String::from_utf8_lossy(&cli(dir.path(), &["tenant", "list"]).stdout).to_string();
    assert!(
        listed.contains("acme") && listed.contains("demo"),
        "{listed}"
    );
    assert!(
        listed.contains(&second[8..20]) && !listed.contains(&first[8..20]),
        "{listed}"
    );
    // The server now owns the sled database: the CLI says so instead of failing obscurely.
    let data_dir = dir.path().to_path_buf();
    let app = spawn_admin_app(move |settings| {
        settings.paths.data_dir = data_dir;
        settings.storage.url = None;
    })
    .await;
    assert_eq!(
        partner(&app, Method::GET, "/v1/partner/tickets", &second, None)
            .await
            .0,
        200
    );
    assert_eq!(
        partner(&app, Method::GET, "/v1/partner/tickets", &first, None)
            .await
            .0,
        401
    );
    let refused = cli(dir.path(), &["tenant", "list"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("in use") && message.contains("/v1/admin/tenants"),
        "{message}"
    );
}
