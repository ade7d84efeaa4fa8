//! The desk's queue held in memory: the headers of every escalated and assigned ticket, by
//! tenant. Every escalation republishes its tenant's queue, so reading it from the tree meant one
//! `get` and one JSON parse per waiting conversation for each hand-over: with a desk offline
//! overnight (a queue of thousands) a hand-over cost tens of milliseconds and grew with the queue.
//!
//! The mirror is loaded from the queue index when the store opens, before the writer starts, and
//! from then on changed only by the writer thread, after a group is durable and before any of the
//! group's callers hears back: a caller that saw its write committed sees it here too. The tree
//! stays the truth; the mirror is rebuilt from it at every start.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use uuid::Uuid;

use super::{keys, tickets};
use crate::store::StoreError;
use crate::tickets::{Ticket, TicketStatus};

/// A header entering, changing in, or leaving the queue (`queued: false`).
#[derive(Debug, Clone)]
pub struct QueueChange {
    pub header: Arc<Ticket>,
    pub queued: bool,
}

#[derive(Default)]
pub struct QueueMirror {
    tenants: Mutex<HashMap<String, BTreeMap<Uuid, Arc<Ticket>>>>,
}

impl QueueMirror {
    /// Every queued header in `tree`, found through the queue index.
    pub fn load(tree: &sled::Tree) -> Result<QueueMirror, StoreError> {
        let mirror = QueueMirror::default();
        let mut tenants = mirror.lock();
        for key in tree.scan_prefix([keys::QUEUE_INDEX]).keys() {
            let Some(id) = keys::trailing_id(&key?) else {
                continue;
            };
            let header = match tickets::ticket(tree, id) {
                Ok(header) => header,
                Err(StoreError::TicketNotFound(_)) => continue,
                Err(other) => return Err(other),
            };
            let queue = tenants.entry(header.tenant.clone()).or_default();
            queue.insert(id, Arc::new(header));
        }
        drop(tenants);
        Ok(mirror)
    }

    /// Applies a committed group's changes, in the order they were staged.
    pub fn apply(&self, changes: Vec<QueueChange>) {
        if changes.is_empty() {
            return;
        }
        let mut tenants = self.lock();
        for change in changes {
            let queue = tenants.entry(change.header.tenant.clone()).or_default();
            if change.queued {
                queue.insert(change.header.id, change.header);
            } else {
                queue.remove(&change.header.id);
            }
        }
    }

    /// The queued headers of `tenant`, in id order.
    pub fn headers(&self, tenant: &str) -> Vec<Arc<Ticket>> {
        self.lock()
            .get(tenant)
            .map(|queue| queue.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Tickets waiting for a person, over every tenant.
    pub fn escalated(&self) -> usize {
        let tenants = self.lock();
        let waiting = |header: &&Arc<Ticket>| header.status == TicketStatus::Escalated;
        tenants
            .values()
            .map(|q| q.values().filter(waiting).count())
            .sum()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, BTreeMap<Uuid, Arc<Ticket>>>> {
        // The map is whole after every statement that changes it: a panic elsewhere leaves it valid.
        self.tenants.lock().unwrap_or_else(|e| e.into_inner())
    }
}
