//! Tenant administration (admin bearer token): create and list tenants, issue, rotate and revoke
//! their API keys. A key's secret appears in exactly one response, the one that created it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::{State, bearer_token, body};
use crate::service::{CreatedTenant, NewKey, RotatedKey};
use crate::tenants::{KeyInfo, NewTenant, Tenant};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct Revoke {
    /// Keep the key working for this many seconds (default 0 = revoke now).
    grace_seconds: Option<u64>,
}

#[utoipa::path(post, path = "/v1/admin/tenants", tag = "admin",
    request_body = NewTenant,
    responses((status = 201, description = "The tenant and its first API key (shown once)", body = CreatedTenant),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, description = "Invalid id or settings", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn create(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let new: NewTenant = body::require_json(&request, payload, state.max_body_bytes).await?;
    let created = state.service.create_tenant(new).await?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/v1/admin/tenants", tag = "admin",
    responses((status = 200, description = "Every tenant (no keys)", body = Vec<Tenant>),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn list(state: web::Data<State>, request: HttpRequest) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    Ok(HttpResponse::Ok().json(state.service.list_tenants().await?))
}

#[utoipa::path(get, path = "/v1/admin/tenants/{id}/keys", tag = "admin",
    params(("id" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant's keys: ids and state, never secrets", body = Vec<KeyInfo>),
        (status = 404, description = "No such tenant", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn keys(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    Ok(HttpResponse::Ok().json(state.service.tenant_keys(&id).await?))
}

#[utoipa::path(post, path = "/v1/admin/tenants/{id}/keys", tag = "admin",
    params(("id" = String, Path, description = "Tenant id")),
    request_body(content = NewKey, description = "Optional; `revoke_others` makes it a rotation"),
    responses((status = 201, description = "The new key (shown once) and any keys it retired", body = RotatedKey),
        (status = 404, description = "No such tenant", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn issue_key(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let new: Option<NewKey> = body::read_json(&request, payload, state.max_body_bytes).await?;
    let issued = state
        .service
        .issue_key(&id, new.unwrap_or_default())
        .await?;
    Ok(HttpResponse::Created().json(issued))
}

#[utoipa::path(delete, path = "/v1/admin/tenants/{id}/keys/{key_id}", tag = "admin",
    params(("id" = String, Path, description = "Tenant id"),
        ("key_id" = String, Path, description = "Key id"), Revoke),
    responses((status = 200, description = "The key's new state", body = KeyInfo),
        (status = 404, description = "No such tenant or key", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn revoke_key(
    state: web::Data<State>,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let revoke = web::Query::<Revoke>::from_query(request.query_string())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let (tenant, key_id) = path.into_inner();
    let grace = revoke.grace_seconds.unwrap_or(0);
    let info = state.service.revoke_key(&tenant, &key_id, grace).await?;
    Ok(HttpResponse::Ok().json(info))
}
