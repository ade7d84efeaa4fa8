//! Tickets: every conversation is a ticket in sled with an append-only timeline of events.
//!
//! Two trees: `tickets` (id → [`Ticket`] header) and `events` (id ++ seq → [`Event`]). Every append
//! updates both in one sled transaction, and [`TicketStore::flush`] makes it durable before the
//! API acknowledges anything. The same transaction queues the webhook deliveries the new events
//! raise (`webhooks::outbox`), so an acknowledged event is never lost to its subscribers.

mod model;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use uuid::Uuid;

use crate::webhooks::WebhookStore;
use crate::webhooks::outbox::{self, OutboxTx};

pub use model::{
    BotAction, BotReply, EscalationReason, Event, EventKind, ScoredIntent, Source, Ticket,
    TicketStatus,
};

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error("ticket {0} not found")]
    NotFound(Uuid),
    #[error("ticket store failure: {0}")]
    Storage(#[from] sled::Error),
    #[error("ticket record is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
}

#[derive(Clone)]
pub struct TicketStore {
    db: sled::Db,
    tickets: sled::Tree,
    events: sled::Tree,
    webhooks: WebhookStore,
}

pub fn now_ms() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

fn event_key(id: Uuid, seq: u64) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..16].copy_from_slice(id.as_bytes());
    key[16..].copy_from_slice(&seq.to_be_bytes());
    key
}

impl TicketStore {
    pub fn open(dir: &Path) -> Result<TicketStore, TicketError> {
        let db = sled::open(dir)?;
        let tickets = db.open_tree("tickets")?;
        let events = db.open_tree("events")?;
        let webhooks = WebhookStore::open(&db)?;
        Ok(TicketStore {
            db,
            tickets,
            events,
            webhooks,
        })
    }

    /// Creates a ticket with its `created` event. Call [`TicketStore::flush`] before acknowledging.
    pub fn create(&self, tenant: &str, channel: &str) -> Result<Ticket, TicketError> {
        self.create_for_customer(tenant, channel, None, Default::default())
    }

    /// As [`TicketStore::create`], for a partner's customer: their own id and metadata.
    pub fn create_for_customer(
        &self,
        tenant: &str,
        channel: &str,
        customer_id: Option<String>,
        metadata: std::collections::BTreeMap<String, String>,
    ) -> Result<Ticket, TicketError> {
        self.create_with(tenant, channel, customer_id, metadata, now_ms())
    }

    /// Test support: a ticket created at `at_ms` (seeded analytics). No production path calls it.
    pub fn create_at(
        &self,
        tenant: &str,
        channel: &str,
        at_ms: u64,
    ) -> Result<Ticket, TicketError> {
        self.create_with(tenant, channel, None, Default::default(), at_ms)
    }

    fn create_with(
        &self,
        tenant: &str,
        channel: &str,
        customer_id: Option<String>,
        metadata: std::collections::BTreeMap<String, String>,
        now: u64,
    ) -> Result<Ticket, TicketError> {
        let ticket = Ticket {
            id: Uuid::new_v4(),
            tenant: tenant.to_string(),
            channel: channel.to_string(),
            status: TicketStatus::Open,
            created_at_ms: now,
            updated_at_ms: now,
            failed_turns: 0,
            escalation_reason: None,
            event_count: 0,
            assignee: None,
            priority: 0,
            tags: Vec::new(),
            rating: None,
            customer_id,
            metadata,
        };
        let created = EventKind::Created {
            channel: channel.to_string(),
        };
        self.tickets
            .insert(ticket.id.as_bytes(), serde_json::to_vec(&ticket)?)?;
        self.append_with_time(ticket.id, now, vec![created], |_| {})
    }

    pub fn get(&self, id: Uuid) -> Result<Ticket, TicketError> {
        let bytes = self
            .tickets
            .get(id.as_bytes())?
            .ok_or(TicketError::NotFound(id))?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The whole timeline, oldest first.
    pub fn events(&self, id: Uuid) -> Result<Vec<Event>, TicketError> {
        self.events
            .scan_prefix(id.as_bytes())
            .values()
            .map(|value| Ok(serde_json::from_slice(&value?)?))
            .collect()
    }

    /// Appends `kinds` to the timeline and applies `update` to the header, atomically.
    pub fn append(
        &self,
        id: Uuid,
        kinds: Vec<EventKind>,
        update: impl Fn(&mut Ticket),
    ) -> Result<Ticket, TicketError> {
        self.append_with_time(id, now_ms(), kinds, update)
    }

    /// Test support: appends `kinds` stamped `at_ms` (seeded analytics). No production path calls it.
    pub fn append_at(
        &self,
        id: Uuid,
        at_ms: u64,
        kinds: Vec<EventKind>,
    ) -> Result<Ticket, TicketError> {
        self.append_with_time(id, at_ms, kinds, |_| {})
    }

    fn append_with_time(
        &self,
        id: Uuid,
        now: u64,
        kinds: Vec<EventKind>,
        update: impl Fn(&mut Ticket),
    ) -> Result<Ticket, TicketError> {
        let webhooks = &self.webhooks;
        let trees = (
            &self.tickets,
            &self.events,
            &webhooks.endpoints,
            &webhooks.queue,
            &webhooks.deliveries,
        );
        let result = trees.transaction(|(tickets, events, endpoints, queue, deliveries)| {
            let bytes = tickets
                .get(id.as_bytes())?
                .ok_or(ConflictableTransactionError::Abort(TicketError::NotFound(
                    id,
                )))?;
            let mut ticket: Ticket = serde_json::from_slice(&bytes)
                .map_err(|e| ConflictableTransactionError::Abort(TicketError::Corrupt(e)))?;
            let mut appended = Vec::with_capacity(kinds.len());
            for kind in &kinds {
                let event = Event {
                    seq: ticket.event_count,
                    at_ms: now,
                    kind: kind.clone(),
                };
                let value = serde_json::to_vec(&event)
                    .map_err(|e| ConflictableTransactionError::Abort(TicketError::Corrupt(e)))?;
                events.insert(&event_key(id, event.seq), value)?;
                ticket.event_count += 1;
                appended.push(event);
            }
            update(&mut ticket);
            ticket.updated_at_ms = now;
            let value = serde_json::to_vec(&ticket)
                .map_err(|e| ConflictableTransactionError::Abort(TicketError::Corrupt(e)))?;
            tickets.insert(id.as_bytes(), value)?;
            let outbox = OutboxTx {
                endpoints,
                queue,
                deliveries,
            };
            outbox::enqueue(&outbox, &ticket, &appended)?;
            Ok(ticket)
        });
        result.map_err(|e| match e {
            TransactionError::Abort(inner) => inner,
            TransactionError::Storage(inner) => TicketError::Storage(inner),
        })
    }

    /// Makes every write so far durable (fsync). The API awaits this before it replies.
    pub async fn flush(&self) -> Result<(), TicketError> {
        self.db.flush_async().await?;
        Ok(())
    }

    /// Every ticket of `tenant` that `keep` selects. A full scan of the headers: fine at the scale
    /// of one support desk (thousands of tickets); callers run it on the CPU gate.
    pub fn tickets_of(
        &self,
        tenant: &str,
        keep: impl Fn(&Ticket) -> bool,
    ) -> Result<Vec<Ticket>, TicketError> {
        let mut found = Vec::new();
        for value in self.tickets.iter().values() {
            let ticket: Ticket = serde_json::from_slice(&value?)?;
            if ticket.tenant == tenant && keep(&ticket) {
                found.push(ticket);
            }
        }
        Ok(found)
    }

    /// Events with `seq > after` (all of them for `None`), oldest first.
    pub fn events_after(&self, id: Uuid, after: Option<u64>) -> Result<Vec<Event>, TicketError> {
        let start = after.map_or(0, |seq| seq.saturating_add(1));
        self.events
            .range(event_key(id, start)..=event_key(id, u64::MAX))
            .values()
            .map(|value| Ok(serde_json::from_slice(&value?)?))
            .collect()
    }

    /// Ticket headers in id order, starting after `after` (a page cursor) when given.
    pub fn tickets_after(
        &self,
        after: Option<Uuid>,
    ) -> impl Iterator<Item = Result<Ticket, TicketError>> + '_ {
        use std::ops::Bound;
        let start = match after {
            Some(id) => Bound::Excluded(*id.as_bytes()),
            None => Bound::Unbounded,
        };
        self.tickets
            .range::<[u8; 16], _>((start, Bound::Unbounded))
            .values()
            .map(|value| Ok(serde_json::from_slice(&value?)?))
    }

    /// The webhook endpoints, outbox and delivery log kept beside the tickets.
    pub fn webhooks(&self) -> &WebhookStore {
        &self.webhooks
    }

    /// The sled database, for other stores that keep their trees beside the tickets (tenants).
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    pub fn ticket_count(&self) -> usize {
        self.tickets.len()
    }

    pub fn event_total(&self) -> usize {
        self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_keeps_order_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let store = TicketStore::open(dir.path()).unwrap();
        let ticket = store.create("demo", "web").unwrap();
        let text = EventKind::CustomerMessage {
            text: "hello".into(),
        };
        let updated = store
            .append(ticket.id, vec![text.clone()], |t| t.failed_turns = 1)
            .unwrap();
        assert_eq!(updated.event_count, 2);
        assert_eq!(updated.failed_turns, 1);
        let events = store.events(ticket.id).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].seq, 1);
        assert_eq!(events[1].kind, text);
    }

    #[test]
    fn append_to_unknown_ticket_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = TicketStore::open(dir.path()).unwrap();
        let err = store.append(Uuid::new_v4(), vec![], |_| {}).unwrap_err();
        assert!(matches!(err, TicketError::NotFound(_)));
        assert_eq!(store.event_total(), 0);
    }
}
