//! The durable outbox: deliveries are queued inside the ticket store's append transaction
//! ([`enqueue`]) and leave the queue only when delivered or given up. The queue key is endpoint ++
//! conversation ++ delivery id, so the first key under an (endpoint, conversation) prefix is the
//! only one that may be sent: a conversation's later event waits for its earlier one, while other
//! conversations and endpoints go on.

use std::convert::Infallible;

use serde::Serialize;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};
use sled::{Transactional, transaction::TransactionError};
use uuid::Uuid;

use super::{Delivery, DeliveryStatus, Endpoint, WebhookError, WebhookEvent, WebhookStore};
use crate::tickets::{Event, EventKind, Ticket, TicketError};

/// The webhook trees as seen inside the ticket store's transaction.
pub struct OutboxTx<'a> {
    pub endpoints: &'a TransactionalTree,
    pub queue: &'a TransactionalTree,
    pub deliveries: &'a TransactionalTree,
}

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

pub fn queue_key(endpoint: Uuid, conversation: Uuid, delivery: u64) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..16].copy_from_slice(endpoint.as_bytes());
    key[16..32].copy_from_slice(conversation.as_bytes());
    key[32..].copy_from_slice(&delivery.to_be_bytes());
    key
}

fn abort(error: TicketError) -> ConflictableTransactionError<TicketError> {
    ConflictableTransactionError::Abort(error)
}

/// Queues a delivery of each of `events` to each of the tenant's endpoints subscribed to its type.
/// Runs inside the ticket store's append transaction.
pub fn enqueue(
    tx: &OutboxTx,
    ticket: &Ticket,
    events: &[Event],
) -> ConflictableTransactionResult<(), TicketError> {
    let Some(bytes) = tx.endpoints.get(ticket.tenant.as_bytes())? else {
        return Ok(());
    };
    let corrupt = |e| abort(TicketError::Corrupt(e));
    let endpoints: Vec<Endpoint> = serde_json::from_slice(&bytes).map_err(corrupt)?;
    for event in events {
        let Some(event_type) = event_type(&event.kind) else {
            continue;
        };
        let body = payload(ticket, event, event_type).map_err(corrupt)?;
        for endpoint in endpoints.iter().filter(|e| e.events.contains(&event_type)) {
            let id = tx.deliveries.generate_id()?;
            let delivery = queued(id, ticket, endpoint, event, event_type, body.clone());
            let value = serde_json::to_vec(&delivery).map_err(corrupt)?;
            tx.deliveries.insert(&id.to_be_bytes(), value)?;
            let key = queue_key(endpoint.id, ticket.id, id);
            tx.queue.insert(&key[..], &[] as &[u8])?;
        }
    }
    Ok(())
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
    id: u64,
    ticket: &Ticket,
    endpoint: &Endpoint,
    event: &Event,
    event_type: WebhookEvent,
    body: String,
) -> Delivery {
    Delivery {
        id,
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

/// The smallest key after every key starting with `prefix` (None: nothing can follow).
fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < u8::MAX {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

impl WebhookStore {
    /// The head delivery of each (endpoint, conversation) queue whose next attempt is due, at most
    /// `limit` of them. Jumps from one queue to the next, so a long queue costs one read.
    pub fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<Delivery>, WebhookError> {
        let mut due = Vec::new();
        let mut cursor: Vec<u8> = Vec::new();
        while due.len() < limit {
            let Some(entry) = self.queue.range(cursor.as_slice()..).next() else {
                break;
            };
            let (key, _) = entry?;
            let Ok(id) = <[u8; 8]>::try_from(&key[key.len().saturating_sub(8)..]) else {
                self.queue.remove(&key)?;
                continue;
            };
            match self.delivery(u64::from_be_bytes(id))? {
                Some(delivery) if delivery.next_attempt_at_ms <= now_ms => due.push(delivery),
                Some(_) => {}
                // A queue entry without its record cannot be sent; drop it rather than block.
                None => {
                    self.queue.remove(&key[..])?;
                }
            }
            let Some(next) = after_prefix(&key[..key.len().min(32)]) else {
                break;
            };
            cursor = next;
        }
        Ok(due)
    }

    /// Saves `delivery` and, in the same transaction, keeps it in the queue while it is pending
    /// and takes it out once delivered or given up.
    pub fn save(&self, delivery: &Delivery) -> Result<(), WebhookError> {
        let key = queue_key(delivery.endpoint_id, delivery.conversation_id, delivery.id);
        let value = serde_json::to_vec(delivery)?;
        let pending = delivery.status == DeliveryStatus::Pending;
        let result: Result<(), TransactionError<Infallible>> = (&self.queue, &self.deliveries)
            .transaction(|(queue, deliveries)| {
                deliveries.insert(&delivery.id.to_be_bytes(), value.clone())?;
                if pending {
                    queue.insert(&key[..], &[] as &[u8])?;
                } else {
                    queue.remove(&key[..])?;
                }
                Ok(())
            });
        result.map_err(|e| match e {
            TransactionError::Abort(never) => match never {},
            TransactionError::Storage(inner) => WebhookError::Storage(inner),
        })
    }

    /// Sends a delivery again: a pending one is retried now; a delivered or failed one is queued
    /// anew (a new delivery with the same body, behind the conversation's queued events).
    pub fn redeliver(&self, id: u64, now_ms: u64) -> Result<Delivery, WebhookError> {
        let Some(original) = self.delivery(id)? else {
            return Err(WebhookError::DeliveryNotFound(id.to_string()));
        };
        if original.status == DeliveryStatus::Pending {
            let retry = Delivery {
                next_attempt_at_ms: now_ms,
                ..original
            };
            self.save(&retry)?;
            return Ok(retry);
        }
        let again = Delivery {
            id: self.db.generate_id()?,
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
        self.save(&again)?;
        Ok(again)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::TicketStore;
    use crate::webhooks::{EndpointInput, EndpointLimits};

    fn subscribed_store(dir: &std::path::Path) -> TicketStore {
        let store = TicketStore::open(dir).unwrap();
        let endpoint = EndpointInput {
            url: "http://127.0.0.1:9/hook".into(),
            secret: "0123456789abcdef".into(),
            events: vec![
                WebhookEvent::ConversationCreated,
                WebhookEvent::MessageCreated,
            ],
        };
        let limits = EndpointLimits { max_endpoints: 10 };
        store
            .webhooks()
            .replace_endpoints("acme", vec![endpoint], limits)
            .unwrap();
        store
    }

    #[test]
    fn deliveries_are_stored_with_their_events_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let id = {
            let store = subscribed_store(dir.path());
            let id = store.create("acme", "web").unwrap().id;
            let note = EventKind::InternalNote {
                agent: "a".into(),
                text: "staff only".into(),
            };
            let text = EventKind::CustomerMessage { text: "hi".into() };
            store.append(id, vec![note, text], |_| {}).unwrap();
            // Another tenant has no endpoints: nothing is queued for it.
            store.create("globex", "web").unwrap();
            id
        };
        let store = TicketStore::open(dir.path()).unwrap();
        let log = store.webhooks().deliveries("acme", 10).unwrap();
        let seqs: Vec<u64> = log.iter().rev().map(|d| d.event_seq).collect();
        assert_eq!(
            seqs,
            [0, 2],
            "created and the message; the internal note raises nothing"
        );
        assert!(log.iter().all(|d| d.conversation_id == id));
        assert_eq!(store.webhooks().pending_count(), 2);
        assert!(
            store
                .webhooks()
                .deliveries("globex", 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn only_the_head_of_each_conversation_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let store = subscribed_store(dir.path());
        let first = store.create("acme", "web").unwrap().id;
        let second = store.create("acme", "web").unwrap().id;
        for id in [first, second] {
            let text = EventKind::CustomerMessage { text: "hi".into() };
            store.append(id, vec![text], |_| {}).unwrap();
        }
        let due = store.webhooks().due(u64::MAX, 10).unwrap();
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|d| d.event_seq == 0), "{due:?}");
        let mut delivered = due[0].clone();
        delivered.status = DeliveryStatus::Delivered;
        store.webhooks().save(&delivered).unwrap();
        let due = store.webhooks().due(u64::MAX, 10).unwrap();
        let next = due
            .iter()
            .find(|d| d.conversation_id == delivered.conversation_id);
        assert_eq!(next.map(|d| d.event_seq), Some(1));
    }

    #[test]
    fn after_prefix_skips_every_key_with_the_prefix() {
        assert_eq!(after_prefix(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(after_prefix(&[1, 255]), Some(vec![2]));
        assert_eq!(after_prefix(&[255, 255]), None);
    }
}
