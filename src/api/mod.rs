//! The HTTP API (actix-web): routes, thin handlers that extract, call the service and map the
//! result, and the error table. Nothing below this module sees an actix type.

mod admin;
mod body;
mod conversations;
pub mod error;
mod kb_admin;

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
        .configure(kb_admin::routes);
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
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes)
            .default_service(web::to(not_found))
    })
    .workers(settings.server.workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}
