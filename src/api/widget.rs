//! The widget's endpoints beside the message path: the "talk to a person" button, ending the
//! chat, the rating, and the live event stream of one conversation. No login: the conversation
//! UUID is the customer's capability.

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::ApiError;
use super::{State, body, sse};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rating {
    score: i64,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct After {
    after: Option<u64>,
}

pub async fn handoff(
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reply = state.service.handoff(&id).await?;
    Ok(HttpResponse::Ok().json(reply))
}

/// The widget's "end chat": the conversation is resolved by the customer (then rated).
pub async fn end_chat(
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ticket = state.service.end_chat(&id).await?;
    Ok(HttpResponse::Ok().json(ticket))
}

pub async fn rate(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let rating: Rating = body::require_json(&request, payload, state.max_body_bytes).await?;
    let ticket = state
        .service
        .rate(&id, rating.score, rating.comment.as_deref())
        .await?;
    Ok(HttpResponse::Created().json(ticket))
}

/// SSE: events after `Last-Event-ID` (or `?after=`), then live ones.
pub async fn events(
    state: web::Data<State>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<After>::from_query(request.query_string())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let after = last_event_id(&request)?.or(query.after);
    let frames = state.service.conversation_stream(&id, after).await?;
    Ok(sse::response(frames))
}

fn last_event_id(request: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = request
        .headers()
        .get(HeaderName::from_static("last-event-id"))
    else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    text.parse().map(Some).map_err(|_| {
        ApiError::InvalidRequest("`Last-Event-ID` must be an event sequence number".into())
    })
}
