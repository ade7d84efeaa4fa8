//! The HTTP API (actix-web): routes, thin handlers that extract, call the service and map the
//! result, and the error table. Nothing below this module sees an actix type.

mod admin;
mod analytics;
mod body;
mod conversations;
pub mod error;
mod limits;
mod metrics;
mod openapi;
mod partner;
mod tenants;
mod webhooks;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

use crate::config::Settings;
use crate::service::Switchboard;
use error::ApiError;

struct State {
    service: Arc<Switchboard>,
    max_body_bytes: usize,
    trust_forwarded_for: bool,
}

async fn health(state: web::Data<State>) -> HttpResponse {
    let tickets = state.service.store().ticket_count();
    HttpResponse::Ok().json(json!({ "status": "ok", "tickets": tickets }))
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
        .route("/v1/conversations", web::post().to(conversations::create))
        .route("/v1/conversations/{id}", web::get().to(conversations::get))
        .route(
            "/v1/admin/model/reload",
            web::post().to(admin::reload_model),
        )
        .route(
            "/v1/conversations/{id}/messages",
            web::post().to(conversations::post_message),
        )
        .configure(partner_routes)
        .route("/metrics", web::get().to(metrics::scrape))
        .configure(webhooks::routes)
        .configure(analytics::routes);
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
        .route("/v1/partner/kb/search", web::get().to(partner::search_kb));
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
        trust_forwarded_for: settings.limits.trust_forwarded_for,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes)
            .default_service(web::to(not_found))
            .wrap(actix_web::middleware::from_fn(limits::limit_by_ip))
            .wrap(actix_web::middleware::from_fn(metrics::record))
    })
    .workers(settings.server.workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}
