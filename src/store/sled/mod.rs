//! The embedded engine: one sled tree under `data_dir/tickets` (layout in [`keys`]), written only
//! by the [`writer`] thread in group commits, read on tokio's blocking pool so no sled call ever
//! runs on an async worker. One process owns the directory (sled locks it).

mod keys;
mod queue;
mod tickets;
mod upgrade;
mod webhooks;
mod writer;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{
    Append, Appended, Change, Collection, DocOp, DocWrite, Store, StoreError, StoreGauges,
    StoreStats, TicketFilter,
};
use crate::tickets::{Event, Ticket};
use crate::webhooks::Delivery;
use queue::QueueMirror;
use writer::{Staging, Writer};

pub struct SledStore {
    tree: sled::Tree,
    writer: Arc<Writer>,
    queue: Arc<QueueMirror>,
}

impl SledStore {
    /// Opens (or creates) the store at `dir` with a page cache of `cache_mb` megabytes, moving
    /// data written by older versions (one tree per record kind) into the current layout.
    pub fn open(dir: &Path, cache_mb: u64) -> Result<SledStore, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1024 * 1024))
            .flush_every_ms(None)
            .open()?;
        let tree = db.open_tree("switchboard")?;
        upgrade::from_trees(&db, &tree)?;
        let queue = Arc::new(QueueMirror::load(&tree)?);
        let writer = Writer::start(db, tree.clone(), Arc::clone(&queue))
            .map_err(|e| StoreError::Sled(sled::Error::Io(e)))?;
        let writer = Arc::new(writer);
        Ok(SledStore {
            tree,
            writer,
            queue,
        })
    }

    async fn read<R, F>(&self, read: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&sled::Tree) -> Result<R, StoreError> + Send + 'static,
    {
        let tree = self.tree.clone();
        tokio::task::spawn_blocking(move || read(&tree))
            .await
            .map_err(|_| StoreError::Panicked)?
    }
}

#[async_trait]
impl Store for SledStore {
    async fn create_ticket(&self, ticket: Ticket, at_ms: u64) -> Result<Appended, StoreError> {
        self.writer
            .submit(move |staging| tickets::create(staging, ticket, at_ms))
            .await
    }

    async fn ticket(&self, id: Uuid) -> Result<Ticket, StoreError> {
        self.read(move |tree| tickets::ticket(tree, id)).await
    }

    async fn events_after(&self, id: Uuid, after: Option<u64>) -> Result<Vec<Event>, StoreError> {
        self.read(move |tree| tickets::events_after(tree, id, after))
            .await
    }

    async fn append(&self, append: Append) -> Result<Appended, StoreError> {
        self.writer
            .submit(move |staging| tickets::append(staging, append))
            .await
    }

    async fn tickets(
        &self,
        filter: TicketFilter,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Ticket>, StoreError> {
        self.read(move |tree| tickets::tickets(tree, &filter, after, limit))
            .await
    }

    /// From memory (see [`queue`]): no tree read, no parse, no copy.
    async fn queue(&self, tenant: &str) -> Result<Vec<Arc<Ticket>>, StoreError> {
        Ok(self.queue.headers(tenant))
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.read(tickets::stats).await
    }

    async fn gauges(&self) -> Result<StoreGauges, StoreError> {
        let escalated = self.queue.escalated();
        let pending_deliveries = self
            .read(|tree| Ok(tree.scan_prefix([keys::OUTBOX]).keys().count()))
            .await?;
        Ok(StoreGauges {
            escalated,
            pending_deliveries,
        })
    }

    async fn doc(
        &self,
        collection: Collection,
        key: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let key = keys::doc(collection, key);
        self.read(move |tree| match tree.get(key)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        })
        .await
    }

    async fn docs(
        &self,
        collection: Collection,
        prefix: &str,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let skip = keys::docs_of(collection).len();
        let prefix = keys::doc(collection, prefix);
        self.read(move |tree| {
            let mut found = Vec::new();
            for entry in tree.scan_prefix(prefix) {
                let (key, value) = entry?;
                let name = String::from_utf8_lossy(&key[skip..]).into_owned();
                found.push((name, serde_json::from_slice(&value)?));
            }
            Ok(found)
        })
        .await
    }

    async fn write_docs(&self, writes: Vec<DocWrite>) -> Result<(), StoreError> {
        self.writer
            .submit(move |staging| write_docs(staging, writes))
            .await
    }

    async fn deliveries(&self, tenant: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let tenant = tenant.to_string();
        self.read(move |tree| webhooks::deliveries(tree, &tenant, limit))
            .await
    }

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
        self.read(move |tree| webhooks::delivery(tree, id)).await
    }

    /// One process owns a sled store, so there is no one to lease against: the worker's own
    /// in-flight set keeps it from sending a head twice.
    async fn claim_due(
        &self,
        now_ms: u64,
        limit: usize,
        _lease_ms: u64,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.read(move |tree| webhooks::due(tree, now_ms, limit))
            .await
    }

    async fn save_delivery(&self, delivery: Delivery) -> Result<(), StoreError> {
        self.writer
            .submit(move |staging| webhooks::save(staging, &delivery))
            .await
    }

    async fn queue_delivery(&self, mut delivery: Delivery) -> Result<Delivery, StoreError> {
        self.writer
            .submit(move |staging| {
                delivery.id = staging.generate_id()?;
                webhooks::save(staging, &delivery)?;
                Ok(delivery)
            })
            .await
    }

    async fn announce(&self, _change: Change) -> Result<(), StoreError> {
        Ok(())
    }

    fn subscribe(&self) -> Option<broadcast::Receiver<Change>> {
        None
    }

    async fn close(&self) {
        let writer = Arc::clone(&self.writer);
        if tokio::task::spawn_blocking(move || writer.close())
            .await
            .is_err()
        {
            tracing::error!("closing the sled store panicked");
        }
    }

    fn engine(&self) -> &'static str {
        "sled"
    }
}

fn write_docs(staging: &mut Staging, writes: Vec<DocWrite>) -> Result<(), StoreError> {
    for write in writes {
        let key = keys::doc(write.collection, &write.key);
        match write.op {
            DocOp::Insert(value) => {
                if staging.get(&key)?.is_some() {
                    return Err(StoreError::Exists {
                        collection: write.collection.name(),
                        key: write.key,
                    });
                }
                staging.insert(key, serde_json::to_vec(&value)?);
            }
            DocOp::Put(value) => staging.insert(key, serde_json::to_vec(&value)?),
            DocOp::Delete => staging.remove(key),
        }
    }
    Ok(())
}
