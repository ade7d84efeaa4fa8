//! The one table that maps every error to an HTTP status and a stable snake_case code. Bodies are
//! `{"error": {"code": "...", "message": "..."}}`; 5xx messages stay opaque and causes are logged.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::agents::AgentError;
use crate::error::ServiceError;
use crate::kb::KbError;
use crate::service::{HandlingError, ReviewError};
use crate::store::StoreError;
use crate::tenants::TenantError;
use crate::tickets::Conflict;
use crate::webhooks::WebhookError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("expected `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("expected `Content-Type: text/markdown` (an article file) or `application/json`")]
    UnsupportedArticleType,
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("request body is not valid UTF-8")]
    InvalidUtf8,
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("request body does not match the expected shape: {0}")]
    InvalidRequest(String),
    #[error("could not read the request body")]
    BodyRead,
    #[error("no route for this method and path")]
    RouteNotFound,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Seconds a client should wait before retrying an overloaded request.
const RETRY_AFTER_SECONDS: &str = "1";

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::UnsupportedArticleType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            ApiError::InvalidUtf8 => (StatusCode::BAD_REQUEST, "invalid_utf8"),
            ApiError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            ApiError::InvalidRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            ApiError::BodyRead => (StatusCode::BAD_REQUEST, "body_read_failed"),
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found"),
            ApiError::Service(error) => service_status_and_code(error),
        }
    }
}

fn service_status_and_code(error: &ServiceError) -> (StatusCode, &'static str) {
    match error {
        ServiceError::ConversationNotFound => (StatusCode::NOT_FOUND, "conversation_not_found"),
        ServiceError::EmptyText => (StatusCode::UNPROCESSABLE_ENTITY, "empty_text"),
        ServiceError::TextTooLong { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "text_too_long"),
        ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
        ServiceError::ModelRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "model_rejected"),
        ServiceError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
        ServiceError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        ServiceError::InvalidParameter(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter")
        }
        ServiceError::ConversationResolved => (StatusCode::CONFLICT, "conversation_resolved"),
        ServiceError::OriginNotAllowed => (StatusCode::FORBIDDEN, "origin_not_allowed"),
        ServiceError::Tenant(error) => tenant_status_and_code(error),
        ServiceError::Webhook(error) => webhook_status_and_code(error),
        ServiceError::Nlu(_) => (StatusCode::INTERNAL_SERVER_ERROR, "classifier_failed"),
        ServiceError::Kb(error) => kb_status_and_code(error),
        ServiceError::Store(error) => store_status_and_code(error),
        ServiceError::Conflict(conflict) => conflict_status_and_code(conflict),
        ServiceError::Task(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        ServiceError::Agents(error) => agent_status_and_code(error),
        ServiceError::Handling(error) => handling_status_and_code(error),
        ServiceError::Review(error) => review_status_and_code(error),
    }
}

fn review_status_and_code(error: &ReviewError) -> (StatusCode, &'static str) {
    match error {
        ReviewError::AdminOnly => (StatusCode::FORBIDDEN, "admin_only"),
        ReviewError::DraftNotFound => (StatusCode::NOT_FOUND, "draft_not_found"),
        ReviewError::NotResolved => (StatusCode::CONFLICT, "not_resolved"),
        ReviewError::NothingToDraft(_) => (StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_draft"),
        ReviewError::InvalidDraft(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_draft"),
        ReviewError::AlreadyPublished => (StatusCode::CONFLICT, "already_published"),
    }
}

fn agent_status_and_code(error: &AgentError) -> (StatusCode, &'static str) {
    match error {
        AgentError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        AgentError::NotLoggedIn => (StatusCode::UNAUTHORIZED, "not_logged_in"),
        AgentError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
        AgentError::Exists(_) => (StatusCode::CONFLICT, "agent_exists"),
        AgentError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_agent"),
        AgentError::Store(error) => store_status_and_code(error),
        AgentError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
        AgentError::Hashing(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

fn handling_status_and_code(error: &HandlingError) -> (StatusCode, &'static str) {
    match error {
        HandlingError::InvalidRating(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_rating"),
        HandlingError::InvalidTag(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_tag"),
    }
}

fn conflict_status_and_code(conflict: &Conflict) -> (StatusCode, &'static str) {
    match conflict {
        Conflict::AlreadyWithAgent => (StatusCode::CONFLICT, "already_with_agent"),
        Conflict::ConversationResolved => (StatusCode::CONFLICT, "conversation_resolved"),
        Conflict::AlreadyClaimed => (StatusCode::CONFLICT, "already_claimed"),
        Conflict::AgentAtCapacity(_) => (StatusCode::CONFLICT, "agent_at_capacity"),
        Conflict::NotAssignedToYou => (StatusCode::CONFLICT, "not_assigned_to_you"),
        Conflict::NotResolved => (StatusCode::CONFLICT, "not_resolved"),
        Conflict::AlreadyRated => (StatusCode::CONFLICT, "already_rated"),
    }
}

/// Store failures are the server's problem, except while it shuts down (retry elsewhere).
fn store_status_and_code(error: &StoreError) -> (StatusCode, &'static str) {
    match error {
        StoreError::Closed => (StatusCode::SERVICE_UNAVAILABLE, "shutting_down"),
        StoreError::Conflict(conflict) => conflict_status_and_code(conflict),
        StoreError::TicketNotFound(_) => (StatusCode::NOT_FOUND, "conversation_not_found"),
        StoreError::Exists { .. }
        | StoreError::Sled(_)
        | StoreError::Postgres(_)
        | StoreError::Migration(_)
        | StoreError::Corrupt(_)
        | StoreError::InvalidConfig(_)
        | StoreError::Panicked => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
    }
}

fn tenant_status_and_code(error: &TenantError) -> (StatusCode, &'static str) {
    match error {
        TenantError::NotFound => (StatusCode::NOT_FOUND, "tenant_not_found"),
        TenantError::AlreadyExists => (StatusCode::CONFLICT, "tenant_exists"),
        TenantError::KeyNotFound => (StatusCode::NOT_FOUND, "key_not_found"),
        TenantError::InvalidKey => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
        TenantError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_tenant"),
        TenantError::Store(error) => store_status_and_code(error),
        TenantError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
        TenantError::Random(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

fn webhook_status_and_code(error: &WebhookError) -> (StatusCode, &'static str) {
    match error {
        WebhookError::InvalidConfig(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_webhook"),
        WebhookError::DeliveryNotFound(_) => (StatusCode::NOT_FOUND, "delivery_not_found"),
        WebhookError::Store(error) => store_status_and_code(error),
        WebhookError::Corrupt(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
    }
}

fn kb_status_and_code(error: &KbError) -> (StatusCode, &'static str) {
    match error {
        KbError::BadArticle { .. } | KbError::BadField { .. } | KbError::DuplicateId { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_article")
        }
        KbError::ArticleExists(_) => (StatusCode::CONFLICT, "article_exists"),
        KbError::ArticleNotFound(_) => (StatusCode::NOT_FOUND, "article_not_found"),
        KbError::Store(error) => store_status_and_code(error),
        KbError::Index(_) | KbError::Encoder(_) | KbError::Io { .. } => {
            (StatusCode::INTERNAL_SERVER_ERROR, "search_failed")
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            // Load shedding and shutdown are expected and counted in /metrics; logging each one
            // at error level would flood the log exactly when the server is busiest.
            tracing::debug!(error = %self, code, "request refused");
            self.to_string()
        } else if status.is_server_error() {
            tracing::error!(error = %self, code, "request failed");
            "internal error; the cause is in the server log".to_string()
        } else {
            self.to_string()
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            ));
        }
        if let ApiError::Service(ServiceError::RateLimited {
            retry_after_seconds,
        }) = self
        {
            response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
        }
        response.json(json!({ "error": { "code": code, "message": message } }))
    }
}
