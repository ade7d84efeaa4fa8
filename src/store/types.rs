//! The values the [`Store`](super::Store) trait takes and returns.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::tickets::{Conflict, Event, EventKind, Ticket, TicketStatus};

/// The check an append runs on the current header, inside the atomic section: it changes the
/// header (status, assignee, …) or refuses the whole append.
pub type HeaderChange = Box<dyn FnOnce(&mut Ticket) -> Result<(), Conflict> + Send>;

/// Events to add to a ticket's timeline and the header change that goes with them.
pub struct Append {
    pub id: Uuid,
    pub at_ms: u64,
    pub events: Vec<EventKind>,
    /// Refuse with `AgentAtCapacity` when this agent already holds `max` assigned tickets.
    pub capacity: Option<Capacity>,
    pub change: HeaderChange,
}

impl Append {
    /// An append that changes nothing on the header but its counters.
    pub fn events(id: Uuid, at_ms: u64, events: Vec<EventKind>) -> Append {
        Append {
            id,
            at_ms,
            events,
            capacity: None,
            change: Box::new(|_| Ok(())),
        }
    }

    pub fn with_change(
        mut self,
        change: impl FnOnce(&mut Ticket) -> Result<(), Conflict> + Send + 'static,
    ) -> Append {
        self.change = Box::new(change);
        self
    }

    pub fn with_capacity(mut self, agent: &str, max: usize) -> Append {
        self.capacity = Some(Capacity {
            agent: agent.to_string(),
            max,
        });
        self
    }
}

#[derive(Debug, Clone)]
pub struct Capacity {
    pub agent: String,
    pub max: usize,
}

/// What an append stored: the header after it and the new events (with their seq and time).
#[derive(Debug, Clone)]
pub struct Appended {
    pub ticket: Ticket,
    pub events: Vec<Event>,
}

/// Which tickets a listing wants; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub tenant: Option<String>,
    pub status: Option<TicketStatus>,
    pub updated_since_ms: Option<u64>,
    /// Created in `[from, to)`.
    pub created_ms: Option<(u64, u64)>,
}

impl TicketFilter {
    pub fn keeps(&self, ticket: &Ticket) -> bool {
        self.tenant.as_ref().is_none_or(|t| *t == ticket.tenant)
            && self.status.is_none_or(|s| s == ticket.status)
            && self
                .updated_since_ms
                .is_none_or(|since| ticket.updated_at_ms >= since)
            && self
                .created_ms
                .is_none_or(|(from, to)| (from..to).contains(&ticket.created_at_ms))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub tickets: usize,
    pub events: usize,
    pub pending_deliveries: usize,
    /// Tickets waiting for a person (status `escalated`).
    pub escalated: usize,
}

/// What `/metrics` reports on every scrape: counted from indexes (or memory), never by reading
/// every ticket or event, so a scrape costs the same with a million conversations stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Tickets waiting for a person (status `escalated`).
    pub escalated: usize,
    pub pending_deliveries: usize,
}

/// The kinds of small documents the store keeps, each a JSON value under a string key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Tenants,
    TenantKeys,
    Agents,
    /// Key: the SHA-256 (hex) of the session token.
    Sessions,
    /// Key: the tenant; value: its endpoint list.
    WebhookEndpoints,
    /// Key: article id; value: the article as Markdown with front matter.
    KbArticles,
    /// Key: article id of a `kb/` article hidden by a delete.
    KbTombstones,
    /// Key: `tenant/username` of an agent online.
    Presence,
    /// Small shared values (the knowledge base's revision).
    Meta,
    /// Key: `tenant/draft id`; value: a KB article or training-example draft made from a
    /// conversation, kept until it is published or discarded (`service::drafts`).
    Drafts,
}

impl Collection {
    pub fn name(self) -> &'static str {
        match self {
            Collection::Tenants => "tenants",
            Collection::TenantKeys => "tenant_keys",
            Collection::Agents => "agents",
            Collection::Sessions => "sessions",
            Collection::WebhookEndpoints => "webhook_endpoints",
            Collection::KbArticles => "kb_articles",
            Collection::KbTombstones => "kb_tombstones",
            Collection::Presence => "presence",
            Collection::Meta => "meta",
            Collection::Drafts => "drafts",
        }
    }
}

#[derive(Debug, Clone)]
pub enum DocOp {
    /// Refused with `Exists` when the key is there.
    Insert(serde_json::Value),
    Put(serde_json::Value),
    Delete,
}

#[derive(Debug, Clone)]
pub struct DocWrite {
    pub collection: Collection,
    pub key: String,
    pub op: DocOp,
}

impl DocWrite {
    pub fn insert(collection: Collection, key: &str, value: serde_json::Value) -> DocWrite {
        DocWrite {
            collection,
            key: key.to_string(),
            op: DocOp::Insert(value),
        }
    }

    pub fn put(collection: Collection, key: &str, value: serde_json::Value) -> DocWrite {
        DocWrite {
            collection,
            key: key.to_string(),
            op: DocOp::Put(value),
        }
    }

    pub fn delete(collection: Collection, key: &str) -> DocWrite {
        DocWrite {
            collection,
            key: key.to_string(),
            op: DocOp::Delete,
        }
    }
}

/// A change other replicas must hear about to keep their live views and caches current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// New events in a conversation: `first_seq..=last_seq`.
    Events {
        tenant: String,
        conversation_id: Uuid,
        first_seq: u64,
        last_seq: u64,
    },
    /// The tenant's queue (or who is online) changed.
    Queue { tenant: String },
    /// The managed knowledge-base articles changed.
    Kb,
    /// A tenant's settings or keys changed.
    Tenant { tenant: String },
}
