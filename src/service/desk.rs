//! The support desk: who is online per tenant, the queue (escalated and assigned conversations,
//! highest priority first, then longest wait), position and estimated wait, and automatic
//! assignment to the least-loaded online agent under the capacity limit.
//!
//! The queue is not stored separately: the store lists the tenant's escalated and assigned
//! tickets (an index in sled, a partial index in PostgreSQL) with their timelines. Presence is a
//! document per online agent, so every replica sees who is online; with sled it is cleared at
//! start (everyone is offline until they log in again). Recent pickup times and failed logins
//! are per process.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::Switchboard;
use super::queue::{QueueView, queue_items};
use super::queue_views::QueueViews;
use crate::agents::{AgentError, AgentStore};
use crate::config::{ConsoleSettings, EscalationSettings, QueueSettings, Settings};
use crate::error::ServiceError;
use crate::escalation::hours;
use crate::live::{Hub, LiveMessage};
use crate::store::{Collection, DocWrite, SharedStore, StoreError};
use crate::tickets::{Conflict, Latest, TicketStatus, now_ms};

/// Usernames with failed logins remembered before old entries are dropped.
const MAX_TRACKED_LOGINS: usize = 10_000;

/// Everything the human side of the service keeps beside the components.
pub struct Desk {
    pub(super) agents: AgentStore,
    pub(super) hub: Hub,
    pub(super) escalation: EscalationSettings,
    pub(super) queue: QueueSettings,
    pub(super) console: ConsoleSettings,
    /// Tenant -> seconds from escalation to pickup, most recent last.
    pickups: Mutex<HashMap<String, VecDeque<u64>>>,
    /// Username -> times of recent failed logins.
    failed_logins: Mutex<HashMap<String, VecDeque<u64>>>,
    /// Each tenant's latest queue view, one scan at a time.
    views: QueueViews,
    store: SharedStore,
}

impl Desk {
    pub fn new(store: &SharedStore, settings: &Settings) -> Desk {
        Desk {
            agents: AgentStore::new(Arc::clone(store)),
            hub: Hub::new(),
            escalation: settings.escalation.clone(),
            queue: settings.queue.clone(),
            console: settings.console.clone(),
            pickups: Mutex::new(HashMap::new()),
            failed_logins: Mutex::new(HashMap::new()),
            views: QueueViews::default(),
            store: Arc::clone(store),
        }
    }

    pub(super) async fn set_online(
        &self,
        tenant: &str,
        username: &str,
        online: bool,
    ) -> Result<(), StoreError> {
        let key = format!("{tenant}/{username}");
        let write = match online {
            true => DocWrite::put(Collection::Presence, &key, Value::from(now_ms())),
            false => DocWrite::delete(Collection::Presence, &key),
        };
        self.store.write_docs(vec![write]).await
    }

    pub(super) async fn online_agents(&self, tenant: &str) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{tenant}/");
        let online = self.store.docs(Collection::Presence, &prefix).await?;
        Ok(online
            .into_iter()
            .filter_map(|(key, _)| key.strip_prefix(&prefix).map(str::to_string))
            .collect())
    }

    /// Everyone offline (sled, at start: nobody's console survived the restart).
    pub async fn clear_presence(&self) -> Result<(), StoreError> {
        let online = self.store.docs(Collection::Presence, "").await?;
        let writes = online
            .into_iter()
            .map(|(key, _)| DocWrite::delete(Collection::Presence, &key))
            .collect();
        self.store.write_docs(writes).await
    }

    pub(super) fn record_pickup(&self, tenant: &str, seconds: u64) {
        let mut map = self.pickups.lock().unwrap_or_else(|e| e.into_inner());
        let recent = map.entry(tenant.to_string()).or_default();
        recent.push_back(seconds);
        while recent.len() > self.queue.recent_pickups.max(1) {
            recent.pop_front();
        }
    }

    /// Expected seconds per queue position: the mean of recent pickups, else the default.
    fn wait_per_position(&self, tenant: &str) -> u64 {
        let map = self.pickups.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(tenant) {
            Some(recent) if !recent.is_empty() => recent.iter().sum::<u64>() / recent.len() as u64,
            _ => self.queue.default_wait_seconds,
        }
    }

    /// Refuses a login attempt for a username with too many recent failures.
    pub(super) fn check_login_allowed(&self, username: &str) -> Result<(), AgentError> {
        let window_ms = self.console.login_window_minutes.saturating_mul(60_000);
        let now = now_ms();
        let mut map = self.failed_logins.lock().unwrap_or_else(|e| e.into_inner());
        let Some(recent) = map.get_mut(username) else {
            return Ok(());
        };
        recent.retain(|at| now.saturating_sub(*at) < window_ms);
        if recent.len() >= self.console.max_failed_logins {
            return Err(AgentError::TooManyAttempts {
                minutes: self.console.login_window_minutes,
            });
        }
        Ok(())
    }

    pub(super) fn record_login(&self, username: &str, succeeded: bool) {
        let mut map = self.failed_logins.lock().unwrap_or_else(|e| e.into_inner());
        if succeeded {
            map.remove(username);
            return;
        }
        let now = now_ms();
        if map.len() >= MAX_TRACKED_LOGINS {
            // Guessing across many usernames must not grow memory without bound.
            let window_ms = self.console.login_window_minutes.saturating_mul(60_000);
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|at| now.saturating_sub(*at) < window_ms)
            });
        }
        let recent = map.entry(username.to_string()).or_default();
        recent.push_back(now);
        if recent.len() > self.console.max_failed_logins {
            recent.pop_front();
        }
    }

    /// People can take a conversation now: inside business hours, with an agent online.
    pub(super) async fn available(&self, tenant: &str) -> Result<bool, StoreError> {
        if !hours::is_open(&self.escalation.hours, now_ms()) {
            return Ok(false);
        }
        Ok(!self.online_agents(tenant).await?.is_empty())
    }
}

/// Queues up to this long are turned into items on the async worker; a longer one (a desk
/// offline overnight) is CPU work for the blocking pool.
const INLINE_QUEUE: usize = 256;

impl Switchboard {
    /// The tenant's queue, with every change committed before this call.
    pub async fn queue(&self, tenant: &str) -> Result<Arc<QueueView>, ServiceError> {
        self.desk
            .views
            .fresh(tenant, || self.scan_queue(tenant))
            .await
    }

    async fn scan_queue(&self, tenant: &str) -> Result<QueueView, ServiceError> {
        let mut queued = self.store.queue(tenant).await?;
        for ticket in &mut queued {
            if ticket.latest.is_none() {
                // Stored before headers kept `latest`: its timeline has the facts.
                let events = self.store.events_after(ticket.id, None).await?;
                Arc::make_mut(ticket).latest = Some(Latest::of(&events));
            }
        }
        let items = if queued.len() <= INLINE_QUEUE {
            queue_items(&queued, now_ms())
        } else {
            tokio::task::spawn_blocking(move || queue_items(&queued, now_ms()))
                .await
                .map_err(|_| ServiceError::Store(StoreError::Panicked))?
        };
        let online = self.desk.online_agents(tenant).await?.len();
        let open = hours::is_open(&self.desk.escalation.hours, now_ms());
        Ok(QueueView {
            items,
            agents_online: online,
            wait_per_position_seconds: self.desk.wait_per_position(tenant),
            offline: !open || online == 0,
        })
    }

    /// Whether people can take a conversation of `tenant` now.
    pub(super) async fn available(&self, tenant: &str) -> Result<bool, ServiceError> {
        Ok(self.desk.available(tenant).await?)
    }

    /// Sends the tenant's queue to every console and widget stream, here and (through the store)
    /// on the other replicas. A failure is logged, not returned: the change it reports is already
    /// committed.
    pub(super) async fn publish_queue(&self, tenant: &str) -> Option<Arc<QueueView>> {
        let change = crate::store::Change::Queue {
            tenant: tenant.to_string(),
        };
        if let Err(error) = self.store.announce(change).await {
            tracing::warn!(%error, tenant, "queue change not announced to other replicas");
        }
        self.publish_local_queue(tenant).await
    }

    /// Sends the tenant's queue to this replica's streams.
    pub(super) async fn publish_local_queue(&self, tenant: &str) -> Option<Arc<QueueView>> {
        match self.queue(tenant).await {
            Ok(queue) => {
                self.desk.hub.publish(LiveMessage::Queue {
                    tenant: tenant.to_string(),
                    queue: Arc::clone(&queue),
                });
                Some(queue)
            }
            Err(error) => {
                tracing::warn!(%error, tenant, "queue not published");
                None
            }
        }
    }

    /// Gives waiting conversations to the least-loaded online agents under capacity, highest
    /// priority first, when `queue.auto_assign` is on. Called after an escalation, when an agent
    /// comes online, and when an agent frees a slot.
    pub(super) async fn auto_assign(&self, tenant: &str) -> Result<(), ServiceError> {
        if !self.desk.queue.auto_assign {
            return Ok(());
        }
        let queue = self.queue(tenant).await?;
        let mut loads = queue.loads();
        let online: BTreeSet<String> = self.desk.online_agents(tenant).await?.into_iter().collect();
        for agent in &online {
            loads.entry(agent.clone()).or_insert(0);
        }
        let waiting = queue
            .items
            .iter()
            .filter(|item| item.status == TicketStatus::Escalated);
        for item in waiting {
            let least = loads
                .iter()
                .filter(|(agent, load)| {
                    online.contains(*agent) && **load < self.desk.queue.agent_capacity
                })
                .min_by_key(|(_, load)| **load)
                .map(|(agent, _)| agent.clone());
            let Some(agent) = least else { break };
            let Some(profile) = self.desk.agents.get(&agent).await? else {
                continue;
            };
            // The store re-checks status and capacity: another replica may have acted first.
            match self
                .assign(item.id, &profile, Some(item.escalated_at_ms))
                .await
            {
                Ok(_) => *loads.entry(agent).or_insert(0) += 1,
                Err(ServiceError::Conflict(Conflict::AgentAtCapacity(held))) => {
                    loads.insert(agent, held);
                }
                Err(ServiceError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}
