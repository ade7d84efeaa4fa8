//! The storage layer: everything Switchboard keeps, behind one trait with two engines.
//!
//! [`Store`] is what the service sees: tickets and their append-only timelines (with the webhook
//! outbox written atomically beside each append), webhook deliveries, and small documents
//! (tenants, API keys, agents, sessions, endpoints, managed KB articles, presence). Two engines
//! implement it:
//!
//! - [`sled`](self::sled) (the default, nothing to install): one tree, one writer thread that owns
//!   every write and commits them in groups (one atomic batch, one fsync, then every request in
//!   the group is acknowledged); reads run on the blocking pool.
//! - [`postgres`] (`storage.url = "postgres://…"`): for several replicas on one database. Row
//!   locks and advisory locks decide races (claims, capacity), `FOR UPDATE SKIP LOCKED` hands each
//!   webhook delivery to one replica, `LISTEN/NOTIFY` carries [`Change`]s between replicas.
//!
//! Every write is durable when its future resolves: callers acknowledge only after that.

pub mod postgres;
pub mod sled;
mod types;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::config::Settings;
use crate::tickets::{Conflict, Event, Ticket};
use crate::webhooks::Delivery;

pub use types::{
    Append, Appended, Capacity, Change, Collection, DocOp, DocWrite, StoreGauges, StoreStats,
    TicketFilter,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("ticket {0} not found")]
    TicketNotFound(Uuid),
    #[error("{collection} `{key}` exists already")]
    Exists {
        collection: &'static str,
        key: String,
    },
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("sled: {0}")]
    Sled(#[from] ::sled::Error),
    #[error("postgres: {0}")]
    Postgres(Arc<sqlx::Error>),
    #[error("database migration failed: {0}")]
    Migration(Arc<sqlx::migrate::MigrateError>),
    #[error("stored record is corrupt: {0}")]
    Corrupt(Arc<serde_json::Error>),
    #[error("invalid storage configuration: {0}")]
    InvalidConfig(String),
    #[error("the store is shut down")]
    Closed,
    #[error("a storage task panicked")]
    Panicked,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        StoreError::Postgres(Arc::new(error))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> StoreError {
        StoreError::Corrupt(Arc::new(error))
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Stores a new ticket header and its first event (`created`), with their webhook deliveries.
    async fn create_ticket(&self, ticket: Ticket, at_ms: u64) -> Result<Appended, StoreError>;

    async fn ticket(&self, id: Uuid) -> Result<Ticket, StoreError>;

    /// Events with `seq > after` (all for `None`), oldest first.
    async fn events_after(&self, id: Uuid, after: Option<u64>) -> Result<Vec<Event>, StoreError>;

    /// Appends events and changes the header atomically, with the webhook deliveries the events
    /// raise. The append's check runs inside the atomic section and may refuse it.
    async fn append(&self, append: Append) -> Result<Appended, StoreError>;

    /// Ticket headers matching `filter`, in id order, after the cursor, at most `limit`.
    async fn tickets(
        &self,
        filter: TicketFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Ticket>, StoreError>;

    /// The headers of the tenant's escalated and assigned tickets (the desk's queue), without
    /// their timelines: a header's `latest` holds what the queue shows.
    async fn queue(&self, tenant: &str) -> Result<Vec<Arc<Ticket>>, StoreError>;

    /// Every ticket and event counted: a full scan, for tests and tools, never a hot path.
    async fn stats(&self) -> Result<StoreStats, StoreError>;

    /// The queue depth and outbox length, cheap to count however much is stored.
    async fn gauges(&self) -> Result<StoreGauges, StoreError>;

    async fn doc(
        &self,
        collection: Collection,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError>;

    /// The documents of a collection whose key starts with `prefix`, in key order.
    async fn docs(
        &self,
        collection: Collection,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError>;

    /// Applies every write or none (an `Insert` of an existing key refuses them all).
    async fn write_docs(&self, writes: Vec<DocWrite>) -> Result<(), StoreError>;

    /// The tenant's deliveries, newest first.
    async fn deliveries(&self, tenant: &str, limit: usize) -> Result<Vec<Delivery>, StoreError>;

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError>;

    /// The due head of each (endpoint, conversation) queue, at most `limit`, each leased to this
    /// process for `lease_ms` so that no other replica sends it meanwhile.
    async fn claim_due(
        &self,
        now_ms: u64,
        limit: usize,
        lease_ms: u64,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Saves an attempt's outcome: a pending delivery stays queued, any other leaves the queue.
    async fn save_delivery(&self, delivery: Delivery) -> Result<(), StoreError>;

    /// Queues a new delivery (a redelivery) behind the conversation's pending ones; assigns its id.
    async fn queue_delivery(&self, delivery: Delivery) -> Result<Delivery, StoreError>;

    /// Tells the other replicas (and this one's subscribers) about a change. Sled: nothing to do.
    async fn announce(&self, change: Change) -> Result<(), StoreError>;

    /// Changes made by other replicas, or `None` when this engine has no other replicas.
    fn subscribe(&self) -> Option<broadcast::Receiver<Change>>;

    /// Finishes pending writes, makes them durable and releases the engine.
    async fn close(&self);

    fn engine(&self) -> &'static str;
}

pub type SharedStore = Arc<dyn Store>;

/// Opens the configured engine: PostgreSQL when `storage.url` is set, else sled under `data_dir`.
pub async fn open(settings: &Settings) -> Result<SharedStore, StoreError> {
    match settings
        .storage
        .url
        .as_deref()
        .filter(|url| !url.is_empty())
    {
        Some(url) => {
            let store = postgres::PgStore::connect(url, &settings.storage).await?;
            Ok(Arc::new(store))
        }
        None => {
            let path = settings.paths.data_dir.join("tickets");
            let store = sled::SledStore::open(&path, settings.storage.sled_cache_mb)?;
            Ok(Arc::new(store))
        }
    }
}
