//! The agent console's API. Login sets an HttpOnly, SameSite=Strict session cookie; every other
//! call resolves the cookie to an agent first (401 `not_logged_in` without one) and acts only
//! within that agent's tenant (another tenant's conversation is 404, as if it did not exist).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::{State, body, sse};
use crate::agents::AgentProfile;

const COOKIE: &str = "sb_session";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolve {
    tag: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Status {
    online: bool,
}

/// The session token from the `Cookie` header, if any.
fn session_token(request: &HttpRequest) -> Option<String> {
    let cookies = request.headers().get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE).then(|| value.to_string())
    })
}

pub(super) async fn agent(state: &State, request: &HttpRequest) -> Result<AgentProfile, ApiError> {
    let token = session_token(request);
    Ok(state.service.authenticate(token.as_deref()).await?)
}

fn session_cookie(state: &State, token: &str, max_age_seconds: u64) -> String {
    let secure = if state.secure_cookie { "; Secure" } else { "" };
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{secure}"
    )
}

pub async fn login(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let login: Login = body::require_json(&request, payload, state.max_body_bytes).await?;
    let (agent, token) = state
        .service
        .login(&login.username, &login.password)
        .await?;
    let cookie = session_cookie(&state, &token, state.session_seconds);
    Ok(HttpResponse::Ok()
        .insert_header((header::SET_COOKIE, cookie))
        .json(json!({ "agent": agent })))
}

pub async fn logout(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = session_token(&request);
    state.service.logout(token.as_deref()).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::SET_COOKIE, session_cookie(&state, "", 0)))
        .finish())
}

pub async fn me(state: web::Data<State>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    Ok(HttpResponse::Ok().json(json!({ "agent": agent })))
}

pub async fn queue(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let queue = state.service.queue(&agent.tenant).await?;
    Ok(HttpResponse::Ok().json(queue.as_ref()))
}

pub async fn stream(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let frames = state.service.console_stream(&agent).await?;
    Ok(sse::response(frames))
}

pub async fn conversation(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let transcript = state.service.console_transcript(&agent, &id).await?;
    Ok(HttpResponse::Ok().json(transcript))
}

pub async fn claim(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let ticket = state.service.claim(&agent, &id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

pub async fn reply(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let body: Text = body::require_json(&request, payload, state.max_body_bytes).await?;
    let event = state.service.agent_reply(&agent, &id, &body.text).await?;
    Ok(HttpResponse::Created().json(event))
}

pub async fn note(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let body: Text = body::require_json(&request, payload, state.max_body_bytes).await?;
    let event = state.service.add_note(&agent, &id, &body.text).await?;
    Ok(HttpResponse::Created().json(event))
}

pub async fn hand_back(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let ticket = state.service.hand_back(&agent, &id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

pub async fn resolve(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let body: Option<Resolve> = body::read_json(&request, payload, state.max_body_bytes).await?;
    let tag = body.and_then(|b| b.tag);
    let ticket = state.service.resolve(&agent, &id, tag.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

pub async fn canned(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    agent(&state, &request).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": state.service.canned_replies() })))
}

pub async fn status(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let agent = agent(&state, &request).await?;
    let body: Status = body::require_json(&request, payload, state.max_body_bytes).await?;
    state.service.set_online(&agent, body.online).await?;
    Ok(HttpResponse::Ok().json(json!({ "agent": agent, "online": body.online })))
}
