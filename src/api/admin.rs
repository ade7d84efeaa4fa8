//! The admin API (bearer token): operations on the running service (model reload, agent accounts).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::{State, bearer_token, body};
use crate::agents::NewAgent;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadModel {
    dir: Option<std::path::PathBuf>,
}

pub async fn reload_model(
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

/// Adds an agent account while the server runs (the CLI cannot open the locked database).
pub async fn add_agent(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let new: NewAgent = body::require_json(&request, payload, state.max_body_bytes).await?;
    let agent = state.service.add_agent(new).await?;
    Ok(HttpResponse::Created().json(json!({ "agent": agent })))
}
