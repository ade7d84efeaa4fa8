//! The OpenAPI 3 document (`/openapi.json`), generated with `utoipa` from the handlers'
//! `#[utoipa::path]` attributes and the request/response types, and the docs page (`/docs`) that
//! renders it (of the console's cookie API, only the improvement loop's endpoints): our own small page, embedded in the binary, no external resources.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{analytics, conversations, gaps, kb_admin, partner, tenants, webhooks};

/// Every error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `conversation_not_found`, `rate_limited`.
    code: String,
    /// What went wrong, for people.
    message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "Self-hosted AI customer support. Public (widget) endpoints need no login; \
            the partner API takes `Authorization: Bearer <api key>` and sees only its tenant; the \
            admin API takes the admin token. Errors are `{\"error\":{\"code\",\"message\"}}`; \
            429 `rate_limited` comes with `Retry-After`."
    ),
    paths(
        conversations::create,
        conversations::post_message,
        conversations::get,
        partner::create_conversation,
        partner::post_message,
        partner::transcript,
        partner::agent_reply,
        partner::list_tickets,
        partner::get_ticket,
        partner::update_ticket,
        partner::close_ticket,
        partner::search_kb,
        partner::analytics,
        partner::tickets_csv,
        tenants::create,
        tenants::list,
        tenants::keys,
        tenants::issue_key,
        tenants::revoke_key,
        webhooks::put,
        webhooks::get,
        webhooks::deliveries,
        webhooks::redeliver,
        analytics::report,
        analytics::tickets_csv,
        kb_admin::list,
        kb_admin::create,
        kb_admin::replace,
        kb_admin::delete,
        kb_admin::reindex,
        gaps::training_examples,
        gaps::gaps,
        gaps::create_draft,
        gaps::list_drafts,
        gaps::get_draft,
        gaps::edit_draft,
        gaps::publish_draft,
        gaps::discard_draft,
        gaps::console_training_examples,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security),
    tags(
        (name = "public", description = "The customer's widget: no login; the conversation id is the capability"),
        (name = "partner", description = "A partner's desk: API key, scoped to the key's tenant"),
        (name = "admin", description = "The operator: admin bearer token"),
        (name = "console", description = "The agent console: the `sb_session` cookie from `POST /v1/console/login`, scoped to the agent's tenant (only the improvement loop's endpoints are listed here)"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |format: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .build(),
            )
        };
        components.add_security_scheme("api_key", bearer("sb_live_..."));
        components.add_security_scheme("admin_token", bearer("admin token"));
        components.add_security_scheme(
            "console_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("sb_session"))),
        );
    }
}

/// The document as JSON, built once.
fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// The page and its assets: no inline script or style, so `default-src 'self'` holds.
const DOCS_HTML: &str = include_str!("../../web/docs/index.html");
const DOCS_JS: &str = include_str!("../../web/docs/docs.js");
const DOCS_CSS: &str = include_str!("../../web/docs/docs.css");

fn page(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'self'"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

pub async fn docs_page() -> HttpResponse {
    page("text/html; charset=utf-8", DOCS_HTML)
}

pub async fn docs_js() -> HttpResponse {
    page("application/javascript; charset=utf-8", DOCS_JS)
}

pub async fn docs_css() -> HttpResponse {
    page("text/css; charset=utf-8", DOCS_CSS)
}
