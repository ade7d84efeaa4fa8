//! The HTTP API (actix-web): routes, thin handlers that extract, call the service and map the
//! result, and the error table. Nothing below this module sees an actix type.

mod body;
pub mod error;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde::Deserialize;
use serde_json::json;

use crate::config::Settings;
use crate::service::Switchboard;
use error::ApiError;

struct State {
    service: Arc<Switchboard>,
    max_body_bytes: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewConversation {
    channel: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadModel {
    dir: Option<std::path::PathBuf>,
}

#[derive(Deserialize)]
struct NewMessage {
    text: String,
}

const DEFAULT_CHANNEL: &str = "web";

fn valid_channel(channel: &str) -> bool {
    (1..=32).contains(&channel.len())
        && channel
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

async fn health(state: web::Data<State>) -> HttpResponse {
    let tickets = state.service.store().ticket_count();
    HttpResponse::Ok().json(json!({ "status": "ok", "tickets": tickets }))
}

async fn create_conversation(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: Option<NewConversation> =
        body::read_json(&request, payload, state.max_body_bytes).await?;
    let channel = body
        .and_then(|b| b.channel)
        .unwrap_or_else(|| DEFAULT_CHANNEL.to_string());
    if !valid_channel(&channel) {
        return Err(ApiError::InvalidRequest(
            "`channel` must be 1-32 of a-z, 0-9, _ or -".into(),
        ));
    }
    let ticket = state.service.start_conversation(&channel).await?;
    Ok(HttpResponse::Created().json(ticket))
}

async fn post_message(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let message: NewMessage = body::require_json(&request, payload, state.max_body_bytes).await?;
    let reply = state.service.post_message(&id, &message.text).await?;
    Ok(HttpResponse::Ok().json(reply))
}

async fn get_conversation(
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let transcript = state.service.transcript(&id)?;
    Ok(HttpResponse::Ok().json(transcript))
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    value.strip_prefix("Bearer ")
}

async fn reload_model(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let body: Option<ReloadModel> =
        body::read_json(&request, payload, state.max_body_bytes).await?;
    let summary = state.service.reload_model(body.and_then(|b| b.dir)).await?;
    Ok(HttpResponse::Ok().json(summary))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(health))
        .route("/v1/conversations", web::post().to(create_conversation))
        .route("/v1/conversations/{id}", web::get().to(get_conversation))
        .route("/v1/admin/model/reload", web::post().to(reload_model))
        .route(
            "/v1/conversations/{id}/messages",
            web::post().to(post_message),
        );
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
