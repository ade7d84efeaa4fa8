//! Webhooks: per-tenant endpoints (URL, secret, subscribed event types), a durable outbox and the
//! delivery log, all kept by the store.
//!
//! The endpoints are one document per tenant. Every store engine calls
//! [`outbox::deliveries_for`] inside its atomic append, so an acknowledged event always has its
//! deliveries queued; [`worker`] claims the due ones and sends them, signed ([`signature`]), with
//! retries.

pub mod outbox;
pub mod signature;
pub mod worker;

use serde::{Deserialize, Serialize};

use crate::store::{Collection, DocWrite, Store, StoreError};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The event types a tenant can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum WebhookEvent {
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    /// A customer, bot (when it said something) or agent message.
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "conversation.escalated")]
    ConversationEscalated,
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned,
    #[serde(rename = "ticket.resolved")]
    TicketResolved,
    #[serde(rename = "rating.created")]
    RatingCreated,
}

/// One receiver of a tenant's events. The id is derived from tenant and URL, so replacing the
/// configuration keeps queued deliveries attached to an endpoint that is still listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub secret: String,
    pub events: Vec<WebhookEvent>,
}

/// An endpoint as the admin API shows it: the secret is never echoed back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    pub secret_hint: String,
    pub events: Vec<WebhookEvent>,
}

/// An endpoint as the admin API receives it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    pub url: String,
    pub secret: String,
    pub events: Vec<WebhookEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Queued or being retried.
    Pending,
    Delivered,
    /// Gave up (too old, or the endpoint was removed); `redeliver` queues it again.
    Failed,
}

/// One event for one endpoint: the body is fixed when the event is stored; the signature is made
/// at each attempt (it covers the attempt's timestamp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: u64,
    pub tenant: String,
    pub endpoint_id: Uuid,
    pub url: String,
    pub conversation_id: Uuid,
    pub event_seq: u64,
    pub event_type: WebhookEvent,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub created_at_ms: u64,
    pub next_attempt_at_ms: u64,
    pub last_attempt_at_ms: Option<u64>,
    pub delivered_at_ms: Option<u64>,
    /// HTTP status of the last attempt, when the receiver answered.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// Set on a delivery queued by `redeliver`: the one it repeats.
    pub redelivery_of: Option<u64>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("invalid webhook configuration: {0}")]
    InvalidConfig(String),
    #[error("webhook delivery {0} not found")]
    DeliveryNotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("webhook record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// Limits on what a tenant may configure.
#[derive(Debug, Clone, Copy)]
pub struct EndpointLimits {
    pub max_endpoints: usize,
}

const MIN_SECRET_BYTES: usize = 16;
const MAX_SECRET_BYTES: usize = 256;
const MAX_URL_BYTES: usize = 2048;
const MAX_LISTED_DELIVERIES: usize = 500;

/// The tenant's endpoints (a document keyed by the tenant).
pub async fn endpoints(store: &dyn Store, tenant: &str) -> Result<Vec<Endpoint>, WebhookError> {
    let Some(value) = store.doc(Collection::WebhookEndpoints, tenant).await? else {
        return Ok(Vec::new());
    };
    Ok(serde_json::from_value(value)?)
}

/// Replaces the tenant's endpoints (an empty list removes them all). Validates everything
/// before writing anything.
pub async fn replace_endpoints(
    store: &dyn Store,
    tenant: &str,
    inputs: Vec<EndpointInput>,
    limits: EndpointLimits,
) -> Result<Vec<Endpoint>, WebhookError> {
    let endpoints = validated_endpoints(tenant, inputs, limits)?;
    let write = if endpoints.is_empty() {
        DocWrite::delete(Collection::WebhookEndpoints, tenant)
    } else {
        DocWrite::put(
            Collection::WebhookEndpoints,
            tenant,
            serde_json::to_value(&endpoints)?,
        )
    };
    store.write_docs(vec![write]).await?;
    Ok(endpoints)
}

fn validated_endpoints(
    tenant: &str,
    inputs: Vec<EndpointInput>,
    limits: EndpointLimits,
) -> Result<Vec<Endpoint>, WebhookError> {
    validate_tenant(tenant)?;
    if inputs.len() > limits.max_endpoints {
        return Err(WebhookError::InvalidConfig(format!(
            "{} endpoints given, at most {} allowed",
            inputs.len(),
            limits.max_endpoints
        )));
    }
    let mut endpoints: Vec<Endpoint> = Vec::with_capacity(inputs.len());
    for input in inputs {
        validate_endpoint(&input)?;
        let id = endpoint_id(tenant, &input.url);
        if endpoints.iter().any(|e| e.id == id) {
            return Err(WebhookError::InvalidConfig(format!(
                "`{}` is listed twice",
                input.url
            )));
        }
        let mut events = Vec::new();
        for event in input.events {
            if !events.contains(&event) {
                events.push(event);
            }
        }
        endpoints.push(Endpoint {
            id,
            url: input.url,
            secret: input.secret,
            events,
        });
    }
    Ok(endpoints)
}

/// The tenant's deliveries, newest first, without their bodies.
pub async fn deliveries(
    store: &dyn Store,
    tenant: &str,
    limit: usize,
) -> Result<Vec<Delivery>, WebhookError> {
    let limit = limit.clamp(1, MAX_LISTED_DELIVERIES);
    let mut found = store.deliveries(tenant, limit).await?;
    for delivery in &mut found {
        delivery.body.clear();
    }
    Ok(found)
}

impl Endpoint {
    pub fn view(&self) -> EndpointView {
        let tail: String = self.secret.chars().rev().take(4).collect();
        EndpointView {
            id: self.id,
            url: self.url.clone(),
            secret_hint: format!("…{}", tail.chars().rev().collect::<String>()),
            events: self.events.clone(),
        }
    }
}

fn endpoint_id(tenant: &str, url: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(tenant.as_bytes())
        .chain_update([0u8])
        .chain_update(url.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Tenant names: 1-32 of a-z, 0-9, _ or - (as when a conversation is started).
pub fn validate_tenant(tenant: &str) -> Result<(), WebhookError> {
    let valid = (1..=32).contains(&tenant.len())
        && tenant
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !valid {
        return Err(WebhookError::InvalidConfig(
            "the tenant must be 1-32 of a-z, 0-9, _ or -".into(),
        ));
    }
    Ok(())
}

fn validate_endpoint(input: &EndpointInput) -> Result<(), WebhookError> {
    let invalid = |message: String| Err(WebhookError::InvalidConfig(message));
    let url = match reqwest::Url::parse(&input.url) {
        Ok(url) => url,
        Err(e) => return invalid(format!("`url` {:?} is not a URL: {e}", input.url)),
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return invalid("`url` must be an http:// or https:// URL with a host".into());
    }
    if input.url.len() > MAX_URL_BYTES {
        return invalid(format!("`url` is longer than {MAX_URL_BYTES} bytes"));
    }
    if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&input.secret.len()) {
        return invalid(format!(
            "`secret` must be {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes"
        ));
    }
    if input.events.is_empty() {
        return invalid("`events` must name at least one event type".into());
    }
    Ok(())
}

/// Parses a delivery id from a path segment.
pub fn parse_delivery_id(id: &str) -> Result<u64, WebhookError> {
    id.parse()
        .map_err(|_| WebhookError::DeliveryNotFound(id.chars().take(40).collect()))
}
