//! Customer conversations: start one, post a message, read the transcript.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::{State, body};
use crate::dialogue::Lang;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewConversation {
    tenant: Option<String>,
    channel: Option<String>,
    /// The widget's interface language, `en` or `zh`: the bot's replies use it until the
    /// customer has written something to detect the language from.
    lang: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewMessage {
    text: String,
}

const DEFAULT_CHANNEL: &str = "web";
const DEFAULT_TENANT: &str = "demo";

/// Tenant and channel names: 1-32 of a-z, 0-9, _ or -.
fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// The widget's interface language: absent, or `en` / `zh`.
fn interface_lang(code: Option<&str>) -> Result<Option<Lang>, ApiError> {
    let Some(code) = code else {
        return Ok(None);
    };
    match Lang::from_code(code) {
        Some(lang) => Ok(Some(lang)),
        None => Err(ApiError::InvalidRequest(
            "`lang` must be \"en\" or \"zh\"".into(),
        )),
    }
}

#[utoipa::path(post, path = "/v1/conversations", tag = "public",
    request_body(content = NewConversation, description = "Optional: tenant (default `demo`), channel (default `web`), lang (`en` or `zh`)"),
    responses((status = 201, description = "The new conversation", body = crate::tickets::Ticket),
        (status = 403, description = "The page's Origin is not in the tenant's `widget.allowed_origins`", body = super::openapi::ErrorBody),
        (status = 404, description = "Unknown tenant (`tenant_not_found`)", body = super::openapi::ErrorBody),
        (status = 422, description = "Invalid tenant, channel or lang (`invalid_request`)", body = super::openapi::ErrorBody),
        (status = 429, description = "Rate limited (see Retry-After)", body = super::openapi::ErrorBody)))]
pub async fn create(
    state: web::Data<State>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: Option<NewConversation> =
        body::read_json(&request, payload, state.max_body_bytes).await?;
    let body = body.unwrap_or(NewConversation {
        tenant: None,
        channel: None,
        lang: None,
    });
    let tenant = body.tenant.as_deref().unwrap_or(DEFAULT_TENANT);
    let channel = body.channel.as_deref().unwrap_or(DEFAULT_CHANNEL);
    for (field, value) in [("tenant", tenant), ("channel", channel)] {
        if !valid_name(value) {
            return Err(ApiError::InvalidRequest(format!(
                "`{field}` must be 1-32 of a-z, 0-9, _ or -"
            )));
        }
    }
    let lang = interface_lang(body.lang.as_deref())?;
    let origin = request
        .headers()
        .get(actix_web::http::header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    state.service.check_widget_origin(tenant, origin).await?;
    let ticket = state
        .service
        .start_conversation(tenant, channel, lang)
        .await?;
    Ok(HttpResponse::Created().json(ticket))
}

#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "public",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = NewMessage,
    responses((status = 200, description = "The bot's reply", body = crate::service::MessageReply),
        (status = 404, description = "No such conversation", body = super::openapi::ErrorBody)))]
pub async fn post_message(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let message: NewMessage = body::require_json(&request, payload, state.max_body_bytes).await?;
    let reply = state.service.post_message(&id, &message.text).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// The customer's view: no internal notes (the console has its own, full transcript).
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "public",
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, description = "The transcript", body = crate::service::Transcript),
        (status = 404, description = "No such conversation", body = super::openapi::ErrorBody)))]
pub async fn get(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let view = state.service.customer_view(&id).await?;
    Ok(HttpResponse::Ok().json(view))
}
