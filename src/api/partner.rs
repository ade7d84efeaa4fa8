//! The partner API (`/v1/partner/...`): `Authorization: Bearer <api key>`, everything scoped to
//! the key's tenant. Handlers authenticate first, then read the body, then call one service
//! function.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::error::ApiError;
use super::{State, body};
use crate::service::{
    AgentReply, CloseTicket, KbHit, KbQuery, MessageReply, PartnerAnalyticsQuery,
    PartnerConversation, TicketPage, TicketQuery, TicketUpdate, Transcript,
};
use crate::tenants::Tenant;
use crate::tickets::Ticket;

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewMessage {
    text: String,
}

/// The key of exactly one `Authorization: Bearer` header; two headers count as none.
fn api_key(request: &HttpRequest) -> Option<&str> {
    let mut values = request.headers().get_all(header::AUTHORIZATION);
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok()?.strip_prefix("Bearer ")
}

async fn tenant(state: &State, request: &HttpRequest) -> Result<Tenant, ApiError> {
    Ok(state.service.authenticate_partner(api_key(request)).await?)
}

#[utoipa::path(post, path = "/v1/partner/conversations", tag = "partner",
    request_body = PartnerConversation,
    responses((status = 201, description = "The new conversation", body = Ticket),
        (status = 401, description = "Missing or invalid API key", body = super::openapi::ErrorBody),
        (status = 422, description = "Invalid customer id, metadata or channel", body = super::openapi::ErrorBody),
        (status = 429, description = "Rate limited (see Retry-After)", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn create_conversation(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let new: PartnerConversation =
        body::require_json(&request, payload, state.max_body_bytes).await?;
    let ticket = state
        .service
        .partner_start_conversation(&tenant, new)
        .await?;
    Ok(HttpResponse::Created().json(ticket))
}

#[utoipa::path(post, path = "/v1/partner/conversations/{id}/messages", tag = "partner",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = NewMessage,
    responses((status = 200, description = "The bot's reply (queued when a person has it)", body = MessageReply),
        (status = 404, description = "No such conversation for this tenant", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn post_message(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let message: NewMessage = body::require_json(&request, payload, state.max_body_bytes).await?;
    let reply = state
        .service
        .partner_post_message(&tenant, &id, &message.text)
        .await?;
    Ok(HttpResponse::Ok().json(reply))
}

#[utoipa::path(get, path = "/v1/partner/conversations/{id}", tag = "partner",
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, description = "Header and the whole timeline", body = Transcript),
        (status = 404, description = "No such conversation for this tenant", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn transcript(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let transcript = state.service.partner_transcript(&tenant, &id).await?;
    Ok(HttpResponse::Ok().json(transcript))
}

#[utoipa::path(post, path = "/v1/partner/conversations/{id}/replies", tag = "partner",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = AgentReply,
    responses((status = 201, description = "Appended; an open conversation is now assigned to the agent", body = Ticket),
        (status = 404, description = "No such conversation for this tenant", body = super::openapi::ErrorBody),
        (status = 409, description = "The conversation is resolved", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn agent_reply(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let reply: AgentReply = body::require_json(&request, payload, state.max_body_bytes).await?;
    let ticket = state.service.desk_reply(&tenant, &id, reply).await?;
    Ok(HttpResponse::Created().json(ticket))
}

#[utoipa::path(get, path = "/v1/partner/tickets", tag = "partner",
    params(TicketQuery),
    responses((status = 200, description = "One page of the tenant's tickets", body = TicketPage),
        (status = 422, description = "Bad filter, cursor or limit", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn list_tickets(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let filters: TicketQuery = body::query(&request)?;
    let page = state.service.partner_tickets(&tenant, filters).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/v1/partner/tickets/{id}", tag = "partner",
    params(("id" = String, Path, description = "Ticket (conversation) id")),
    responses((status = 200, description = "The ticket header", body = Ticket),
        (status = 404, description = "No such ticket for this tenant", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn get_ticket(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let ticket = state.service.ticket_for_tenant(&tenant, &id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[utoipa::path(patch, path = "/v1/partner/tickets/{id}", tag = "partner",
    params(("id" = String, Path, description = "Ticket (conversation) id")),
    request_body = TicketUpdate,
    responses((status = 200, description = "The updated ticket", body = Ticket),
        (status = 404, description = "No such ticket for this tenant", body = super::openapi::ErrorBody),
        (status = 422, description = "Invalid status, assignee or tags", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn update_ticket(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let update: TicketUpdate = body::require_json(&request, payload, state.max_body_bytes).await?;
    let ticket = state.service.update_ticket(&tenant, &id, update).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[utoipa::path(post, path = "/v1/partner/tickets/{id}/close", tag = "partner",
    params(("id" = String, Path, description = "Ticket (conversation) id")),
    request_body(content = CloseTicket, description = "Optional"),
    responses((status = 200, description = "Resolved", body = Ticket),
        (status = 404, description = "No such ticket for this tenant", body = super::openapi::ErrorBody),
        (status = 409, description = "Already resolved", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn close_ticket(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let close: Option<CloseTicket> =
        body::read_json(&request, payload, state.max_body_bytes).await?;
    let ticket = state
        .service
        .close_ticket(&tenant, &id, close.unwrap_or_default())
        .await?;
    Ok(HttpResponse::Ok().json(ticket))
}

#[utoipa::path(get, path = "/v1/partner/kb/search", tag = "partner",
    params(KbQuery),
    responses((status = 200, description = "Passages in the tenant's language first", body = Vec<KbHit>),
        (status = 422, description = "Empty or too long query, bad limit", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn search_kb(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let search: KbQuery = body::query(&request)?;
    let hits = state.service.partner_search(&tenant, search).await?;
    Ok(HttpResponse::Ok().json(hits))
}

#[utoipa::path(get, path = "/v1/partner/analytics", tag = "partner",
    params(PartnerAnalyticsQuery),
    responses((status = 200, description = "The admin analytics report over this tenant's tickets only", body = Object),
        (status = 422, description = "Bad `from`, `to` or `group_by`, or a `tenant` parameter", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn analytics(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let filters: PartnerAnalyticsQuery = body::query(&request)?;
    let report = state
        .service
        .analytics(&filters.for_tenant(&tenant.id))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(get, path = "/v1/partner/analytics/tickets.csv", tag = "partner",
    params(PartnerAnalyticsQuery),
    responses((status = 200, description = "One row per ticket of this tenant, with its scores", body = String, content_type = "text/csv"),
        (status = 422, description = "Bad filter, or a `tenant` parameter", body = super::openapi::ErrorBody)),
    security(("api_key" = [])))]
pub async fn tickets_csv(
    state: web::Data<State>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&state, &request).await?;
    let filters: PartnerAnalyticsQuery = body::query(&request)?;
    let csv = state
        .service
        .tickets_csv(&filters.for_tenant(&tenant.id))
        .await?;
    Ok(super::analytics::csv_attachment(csv))
}
