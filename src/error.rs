//! The errors the service returns to its callers (the HTTP layer maps each to a status code and
//! a stable snake_case code in `api::error`).

use crate::agents::AgentError;
use crate::kb::KbError;
use crate::nlu::NluError;
use crate::service::{HandlingError, ReviewError};
use crate::store::StoreError;
use crate::tenants::TenantError;
use crate::tickets::Conflict;
use crate::webhooks::WebhookError;
use crate::workers::JobError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("conversation not found")]
    ConversationNotFound,
    #[error("`text` is empty")]
    EmptyText,
    #[error("`text` is {actual} bytes, the limit is {limit}")]
    TextTooLong { actual: usize, limit: usize },
    #[error("the server is busy; retry shortly")]
    Overloaded,
    #[error("admin API: missing or wrong bearer token")]
    Unauthorized,
    #[error("the new model was not loaded (the current one keeps serving): {0}")]
    ModelRejected(NluError),
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("{0}")]
    InvalidParameter(String),
    #[error("the conversation is resolved")]
    ConversationResolved,
    #[error("this page's origin is not allowed to use the tenant's widget")]
    OriginNotAllowed,
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Nlu(#[from] NluError),
    #[error(transparent)]
    Kb(#[from] KbError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error(transparent)]
    Agents(#[from] AgentError),
    #[error(transparent)]
    Handling(#[from] HandlingError),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("a background task failed: {0}")]
    Task(String),
}

impl From<JobError> for ServiceError {
    fn from(error: JobError) -> ServiceError {
        match error {
            JobError::Overloaded => ServiceError::Overloaded,
            JobError::Failed => ServiceError::Task("a CPU job panicked or was cancelled".into()),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> ServiceError {
        match error {
            StoreError::TicketNotFound(_) => ServiceError::ConversationNotFound,
            StoreError::Conflict(conflict) => ServiceError::Conflict(conflict),
            other @ (StoreError::Exists { .. }
            | StoreError::Sled(_)
            | StoreError::Postgres(_)
            | StoreError::Migration(_)
            | StoreError::Corrupt(_)
            | StoreError::InvalidConfig(_)
            | StoreError::Closed
            | StoreError::Panicked) => ServiceError::Store(other),
        }
    }
}
