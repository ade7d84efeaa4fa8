//! The webhook admin API (bearer admin token): a tenant's endpoints, its delivery log, redelivery.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::openapi::ErrorBody;
use super::{State, bearer_token, body};
use crate::webhooks::{Delivery, EndpointInput, EndpointView};

/// A tenant's whole endpoint list (it replaces the previous one).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EndpointList {
    endpoints: Vec<EndpointInput>,
}

/// The endpoints as stored: secrets are never echoed, only a hint.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct EndpointViews {
    endpoints: Vec<EndpointView>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct Deliveries {
    deliveries: Vec<Delivery>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveryQuery {
    /// How many deliveries, newest first (default 50).
    limit: Option<usize>,
}

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/v1/admin/tenants/{tenant}/webhooks", web::put().to(put))
        .route("/v1/admin/tenants/{tenant}/webhooks", web::get().to(get))
        .route(
            "/v1/admin/tenants/{tenant}/webhooks/deliveries",
            web::get().to(deliveries),
        )
        .route(
            "/v1/admin/webhooks/deliveries/{id}/redeliver",
            web::post().to(redeliver),
        );
}

#[utoipa::path(put, path = "/v1/admin/tenants/{tenant}/webhooks", tag = "admin",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = EndpointList,
    responses((status = 200, description = "The endpoints now configured", body = EndpointViews),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 404, description = "No such tenant (`tenant_not_found`)", body = ErrorBody),
        (status = 422, description = "Bad URL, short secret, no or unknown events", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn put(
    state: web::Data<State>,
    tenant: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let list: EndpointList = body::require_json(&request, payload, state.max_body_bytes).await?;
    let endpoints = state.service.put_webhooks(&tenant, list.endpoints).await?;
    Ok(HttpResponse::Ok().json(EndpointViews { endpoints }))
}

#[utoipa::path(get, path = "/v1/admin/tenants/{tenant}/webhooks", tag = "admin",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "The tenant's endpoints", body = EndpointViews),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn get(
    state: web::Data<State>,
    tenant: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let endpoints = state.service.webhooks(&tenant).await?;
    Ok(HttpResponse::Ok().json(EndpointViews { endpoints }))
}

#[utoipa::path(get, path = "/v1/admin/tenants/{tenant}/webhooks/deliveries", tag = "admin",
    params(("tenant" = String, Path, description = "Tenant id"), DeliveryQuery),
    responses((status = 200, description = "The delivery log, newest first", body = Deliveries),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn deliveries(
    state: web::Data<State>,
    tenant: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let query = web::Query::<DeliveryQuery>::from_query(request.query_string())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let deliveries = state
        .service
        .webhook_deliveries(&tenant, query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(Deliveries { deliveries }))
}

#[utoipa::path(post, path = "/v1/admin/webhooks/deliveries/{id}/redeliver", tag = "admin",
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued again as a new delivery", body = Delivery),
        (status = 401, description = "Missing or wrong admin token", body = ErrorBody),
        (status = 404, description = "No such delivery (`delivery_not_found`)", body = ErrorBody)),
    security(("admin_token" = [])))]
pub async fn redeliver(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let delivery = state.service.redeliver(&id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
