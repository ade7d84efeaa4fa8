//! The admin API (bearer token): operations on the running service.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::{State, bearer_token, body};

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
