//! The webhook admin API (bearer admin token): a tenant's endpoints, its delivery log, redelivery.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::{State, bearer_token, body};
use crate::webhooks::EndpointInput;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointList {
    endpoints: Vec<EndpointInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryQuery {
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

async fn put(
    state: web::Data<State>,
    tenant: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let list: EndpointList = body::require_json(&request, payload, state.max_body_bytes).await?;
    let endpoints = state.service.put_webhooks(&tenant, list.endpoints).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "endpoints": endpoints })))
}

async fn get(
    state: web::Data<State>,
    tenant: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let endpoints = state.service.webhooks(&tenant)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "endpoints": endpoints })))
}

async fn deliveries(
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
    Ok(HttpResponse::Ok().json(serde_json::json!({ "deliveries": deliveries })))
}

async fn redeliver(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    state.service.authorize_admin(bearer_token(&request))?;
    let delivery = state.service.redeliver(&id).await?;
    Ok(HttpResponse::Accepted().json(delivery))
}
