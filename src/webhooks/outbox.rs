//! The durable outbox, engine-independent part: which deliveries a new event raises
//! ([`deliveries_for`], called by every store engine inside the atomic append) and what they
//! carry. The engines keep each (endpoint, conversation) queue in delivery-id order and hand out
//! only its head, so a conversation's later event waits for its earlier one while other
//! conversations and endpoints go on.

use serde::Serialize;
use uuid::Uuid;

use super::{Delivery, DeliveryStatus, Endpoint, WebhookError, WebhookEvent};
use crate::store::Store;
use crate::tickets::{Event, EventKind, Ticket};

/// The webhook event a timeline entry raises, if any. Internal notes stay internal; a bot reply
/// raises `message.created` only when the bot said something.
pub fn event_type(kind: &EventKind) -> Option<WebhookEvent> {
    match kind {
        EventKind::Created { .. } => Some(WebhookEvent::ConversationCreated),
        EventKind::CustomerMessage { .. } | EventKind::AgentMessage { .. } => {
            Some(WebhookEvent::MessageCreated)
        }
        EventKind::BotReply(reply) => reply.text.as_ref().map(|_| WebhookEvent::MessageCreated),
        EventKind::Escalated { .. } => Some(WebhookEvent::ConversationEscalated),
        EventKind::Assigned { .. } => Some(WebhookEvent::ConversationAssigned),
        EventKind::Resolved { .. } => Some(WebhookEvent::TicketResolved),
        EventKind::Rated { .. } => Some(WebhookEvent::RatingCreated),
        EventKind::StatusChanged { .. }
        | EventKind::InternalNote { .. }
        | EventKind::HandedBack { .. } => None,
    }
}

fn author(kind: &EventKind) -> Option<&'static str> {
    match kind {
        EventKind::CustomerMessage { .. } => Some("customer"),
        EventKind::BotReply(_) => Some("bot"),
        EventKind::AgentMessage { .. } => Some("agent"),
        EventKind::Created { .. }
        | EventKind::Escalated { .. }
        | EventKind::StatusChanged { .. }
        | EventKind::Assigned { .. }
        | EventKind::InternalNote { .. }
        | EventKind::HandedBack { .. }
        | EventKind::Resolved { .. }
        | EventKind::Rated { .. } => None,
    }
}

/// The JSON body a receiver gets. `id` is the event's id (conversation:seq): the same for every
/// endpoint and every redelivery, so receivers can drop duplicates.
#[derive(Serialize)]
struct Payload<'a> {
    id: String,
    #[serde(rename = "type")]
    event_type: WebhookEvent,
    created_at_ms: u64,
    tenant: &'a str,
    conversation_id: Uuid,
    channel: &'a str,
    customer_id: Option<&'a str>,
    /// For `message.created`: customer, bot or agent.
    author: Option<&'static str>,
    event: &'a Event,
}

/// The deliveries `events` raise: one per event and subscribed endpoint, each due at once.
/// Their ids are 0: the store numbers them as it writes them, in order.
pub fn deliveries_for(
    ticket: &Ticket,
    events: &[Event],
    endpoints: &[Endpoint],
) -> serde_json::Result<Vec<Delivery>> {
    let mut deliveries = Vec::new();
    for event in events {
        let Some(event_type) = event_type(&event.kind) else {
            continue;
        };
        let body = payload(ticket, event, event_type)?;
        for endpoint in endpoints.iter().filter(|e| e.events.contains(&event_type)) {
            deliveries.push(queued(ticket, endpoint, event, event_type, body.clone()));
        }
    }
    Ok(deliveries)
}

fn payload(ticket: &Ticket, event: &Event, event_type: WebhookEvent) -> serde_json::Result<String> {
    serde_json::to_string(&Payload {
        id: format!("{}:{}", ticket.id, event.seq),
        event_type,
        created_at_ms: event.at_ms,
        tenant: &ticket.tenant,
        conversation_id: ticket.id,
        channel: &ticket.channel,
        customer_id: ticket.customer_id.as_deref(),
        author: author(&event.kind),
        event,
    })
}

/// A new delivery of `event` to `endpoint`, due at once.
fn queued(
    ticket: &Ticket,
    endpoint: &Endpoint,
    event: &Event,
    event_type: WebhookEvent,
    body: String,
) -> Delivery {
    Delivery {
        id: 0,
        tenant: ticket.tenant.clone(),
        endpoint_id: endpoint.id,
        url: endpoint.url.clone(),
        conversation_id: ticket.id,
        event_seq: event.seq,
        event_type,
        status: DeliveryStatus::Pending,
        attempts: 0,
        created_at_ms: event.at_ms,
        next_attempt_at_ms: 0,
        last_attempt_at_ms: None,
        delivered_at_ms: None,
        last_status: None,
        last_error: None,
        redelivery_of: None,
        body,
    }
}

/// A redelivery of `original`: a pending one is retried now; a delivered or failed one is
/// queued anew (a new delivery with the same body, behind the conversation's queued events).
pub async fn redeliver(store: &dyn Store, id: u64, now_ms: u64) -> Result<Delivery, WebhookError> {
    let Some(original) = store.delivery(id).await? else {
        return Err(WebhookError::DeliveryNotFound(id.to_string()));
    };
    if original.status == DeliveryStatus::Pending {
        let retry = Delivery {
            next_attempt_at_ms: now_ms,
            ..original
        };
        store.save_delivery(retry.clone()).await?;
        return Ok(retry);
    }
    let again = Delivery {
        id: 0,
        status: DeliveryStatus::Pending,
        attempts: 0,
        created_at_ms: now_ms,
        next_attempt_at_ms: now_ms,
        last_attempt_at_ms: None,
        delivered_at_ms: None,
        last_status: None,
        last_error: None,
        redelivery_of: Some(original.id),
        ..original
    };
    Ok(store.queue_delivery(again).await?)
}
