//! The HTTP API (actix-web): routes, thin handlers that extract, call the service and map the
//! result, and the error table. Nothing below this module sees an actix type.

mod admin;
mod analytics;
mod body;
mod console;
mod conversations;
pub mod error;
mod gaps;
mod kb_admin;
mod limits;
mod metrics;
mod openapi;
mod pages;
mod partner;
mod sse;
mod tenants;
mod webhooks;
mod widget;

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderName};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

use crate::config::Settings;
use crate::service::Switchboard;
use error::ApiError;

struct State {
    service: Arc<Switchboard>,
    max_body_bytes: usize,
    /// Console session cookie: lifetime and whether to mark it `Secure`.
    session_seconds: u64,
    secure_cookie: bool,
    trust_forwarded_for: bool,
}

async fn health(state: web::Data<State>) -> HttpResponse {
    let storage = state.service.store().engine();
    HttpResponse::Ok().json(json!({ "status": "ok", "storage": storage }))
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub(crate) fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ")
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(health))
        .route(
            "/v1/admin/model/reload",
            web::post().to(admin::reload_model),
        )
        .route("/v1/admin/agents", web::post().to(admin::add_agent))
        .route("/widget.js", web::get().to(pages::widget_js))
        .route("/console", web::get().to(pages::console_html))
        .route("/console/app.js", web::get().to(pages::console_js))
        .route(
            "/console/review.js",
            web::get().to(pages::console_review_js),
        )
        .route("/console/app.css", web::get().to(pages::console_css))
        .route("/demo", web::get().to(pages::demo_html))
        .configure(partner_routes)
        .route("/metrics", web::get().to(metrics::scrape))
        .configure(webhooks::routes)
        .configure(analytics::routes)
        .configure(kb_admin::routes)
        .configure(gaps::admin_routes);
}

/// The public widget endpoints, callable from any allowed site (CORS).
fn conversation_routes(config: &mut web::ServiceConfig) {
    config
        .route("", web::post().to(conversations::create))
        .route("/{id}", web::get().to(conversations::get))
        .route(
            "/{id}/messages",
            web::post().to(conversations::post_message),
        )
        .route("/{id}/handoff", web::post().to(widget::handoff))
        .route("/{id}/resolve", web::post().to(widget::end_chat))
        .route("/{id}/rating", web::post().to(widget::rate))
        .route("/{id}/events", web::get().to(widget::events));
}

/// The agent console's API (session cookie).
fn console_routes(config: &mut web::ServiceConfig) {
    config
        .route("/login", web::post().to(console::login))
        .route("/logout", web::post().to(console::logout))
        .route("/me", web::get().to(console::me))
        .route("/status", web::post().to(console::status))
        .route("/queue", web::get().to(console::queue))
        .route("/stream", web::get().to(console::stream))
        .route("/canned", web::get().to(console::canned))
        .route("/conversations/{id}", web::get().to(console::conversation))
        .route("/conversations/{id}/claim", web::post().to(console::claim))
        .route(
            "/conversations/{id}/messages",
            web::post().to(console::reply),
        )
        .route("/conversations/{id}/notes", web::post().to(console::note))
        .route(
            "/conversations/{id}/handback",
            web::post().to(console::hand_back),
        )
        .route(
            "/conversations/{id}/resolve",
            web::post().to(console::resolve),
        )
        .configure(gaps::console_routes);
}

/// The partner API, the tenant admin API, and the API's own documentation.
fn partner_routes(config: &mut web::ServiceConfig) {
    config
        .route("/openapi.json", web::get().to(openapi::openapi_json))
        .route("/docs", web::get().to(openapi::docs_page))
        .route("/docs/docs.js", web::get().to(openapi::docs_js))
        .route("/docs/docs.css", web::get().to(openapi::docs_css))
        .route("/v1/admin/tenants", web::post().to(tenants::create))
        .route("/v1/admin/tenants", web::get().to(tenants::list))
        .route("/v1/admin/tenants/{id}/keys", web::get().to(tenants::keys))
        .route(
            "/v1/admin/tenants/{id}/keys",
            web::post().to(tenants::issue_key),
        )
        .route(
            "/v1/admin/tenants/{id}/keys/{key_id}",
            web::delete().to(tenants::revoke_key),
        )
        .route(
            "/v1/partner/conversations",
            web::post().to(partner::create_conversation),
        )
        .route(
            "/v1/partner/conversations/{id}",
            web::get().to(partner::transcript),
        )
        .route(
            "/v1/partner/conversations/{id}/messages",
            web::post().to(partner::post_message),
        )
        .route(
            "/v1/partner/conversations/{id}/replies",
            web::post().to(partner::agent_reply),
        )
        .route("/v1/partner/tickets", web::get().to(partner::list_tickets))
        .route(
            "/v1/partner/tickets/{id}",
            web::get().to(partner::get_ticket),
        )
        .route(
            "/v1/partner/tickets/{id}",
            web::patch().to(partner::update_ticket),
        )
        .route(
            "/v1/partner/tickets/{id}/close",
            web::post().to(partner::close_ticket),
        )
        .route("/v1/partner/kb/search", web::get().to(partner::search_kb))
        .route("/v1/partner/analytics", web::get().to(partner::analytics))
        .route(
            "/v1/partner/analytics/tickets.csv",
            web::get().to(partner::tickets_csv),
        );
}

fn widget_cors(allowed_origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static("last-event-id"),
        ])
        .max_age(3600);
    if allowed_origins.iter().any(|origin| origin == "*") {
        return cors.allow_any_origin();
    }
    allowed_origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}

/// Builds the HTTP server on an already-bound listener (port 0 in tests).
pub fn server(
    listener: TcpListener,
    service: Arc<Switchboard>,
    settings: &Settings,
) -> std::io::Result<Server> {
    let state = web::Data::new(State {
        service,
        max_body_bytes: settings.server.max_body_bytes,
        session_seconds: settings.console.session_hours.saturating_mul(3600),
        secure_cookie: settings.console.secure_cookie,
        trust_forwarded_for: settings.limits.trust_forwarded_for,
    });
    let origins = settings.widget.allowed_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes)
            .service(
                web::scope("/v1/conversations")
                    .wrap(widget_cors(&origins))
                    .configure(conversation_routes),
            )
            .service(web::scope("/v1/console").configure(console_routes))
            .default_service(web::to(not_found))
            .wrap(actix_web::middleware::from_fn(limits::limit_by_ip))
            .wrap(actix_web::middleware::from_fn(metrics::record))
    })
    .workers(settings.server.workers.max(1))
    .worker_max_blocking_threads(settings.server.blocking_threads.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}
