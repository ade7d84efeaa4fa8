//! The support desk: who is online per tenant, the queue (escalated and assigned conversations,
//! highest priority first, then longest wait), position and estimated wait, and automatic
//! assignment to the least-loaded online agent under the capacity limit.
//!
//! The queue is not stored separately: the store lists the tenant's escalated and assigned
//! tickets (an index in sled, a partial index in PostgreSQL) with their timelines. Presence is a
//! document per online agent, so every replica sees who is online; with sled it is cleared at
//! start (everyone is offline until they log in again). Recent pickup times and failed logins
//! are per process.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use serde::Serialize;
use uuid::Uuid;

use super::Switchboard;
use crate::agents::{AgentError, AgentStore};
use crate::config::{ConsoleSettings, EscalationSettings, QueueSettings, Settings};
use crate::error::ServiceError;
use crate::escalation::hours;
use crate::live::{Hub, LiveMessage};
use crate::store::{Collection, DocWrite, SharedStore, StoreError};
use crate::tickets::{Conflict, EscalationReason, Event, EventKind, Ticket, TicketStatus, now_ms};

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

/// The queue of one tenant, as the console shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub items: Vec<QueueItem>,
    pub agents_online: usize,
    #[serde(skip)]
    pub wait_per_position_seconds: u64,
    /// Nobody can take a conversation now (outside business hours or no agent online).
    #[serde(skip)]
    pub offline: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: Uuid,
    pub status: TicketStatus,
    pub priority: u8,
    pub wait_seconds: u64,
    pub intent: Option<String>,
    pub escalation_reason: Option<EscalationReason>,
    pub evidence: Option<String>,
    pub last_customer_message: Option<String>,
    pub assignee: Option<String>,
    pub language: &'static str,
    #[serde(skip)]
    pub escalated_at_ms: u64,
}

/// Where one waiting conversation stands, as the customer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QueueStatus {
    pub position: usize,
    pub estimated_wait_seconds: u64,
    pub agents_online: usize,
    /// Nobody can take the conversation now (outside business hours or no agent online).
    pub offline: bool,
}

impl QueueView {
    /// The customer's place among the conversations still waiting (not yet assigned).
    pub fn status_of(&self, id: Uuid) -> Option<QueueStatus> {
        let waiting = self
            .items
            .iter()
            .filter(|item| item.status == TicketStatus::Escalated);
        let position = waiting.clone().position(|item| item.id == id)? + 1;
        let per_position = self.wait_per_position_seconds * position as u64;
        Some(QueueStatus {
            position,
            estimated_wait_seconds: per_position / self.agents_online.max(1) as u64,
            agents_online: self.agents_online,
            offline: self.offline,
        })
    }

    /// Conversations each agent holds now.
    pub fn loads(&self) -> BTreeMap<String, usize> {
        let mut loads = BTreeMap::new();
        for item in &self.items {
            if let Some(agent) = &item.assignee {
                *loads.entry(agent.clone()).or_insert(0) += 1;
            }
        }
        loads
    }
}

/// The queue items of the tenant's queued tickets, highest priority first, then longest wait.
fn queue_items(queued: &[(Ticket, Vec<Event>)], now: u64) -> Vec<QueueItem> {
    let mut items: Vec<QueueItem> = queued
        .iter()
        .map(|(ticket, events)| queue_item(ticket, events, now))
        .collect();
    items.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.escalated_at_ms.cmp(&b.escalated_at_ms))
    });
    items
}

fn queue_item(ticket: &Ticket, events: &[Event], now: u64) -> QueueItem {
    let escalated = events.iter().rev().find_map(|e| {
        let EventKind::Escalated { reason, evidence } = &e.kind else {
            return None;
        };
        Some((e.at_ms, *reason, evidence.clone()))
    });
    let last_customer_message = last_customer_text(events);
    let intent = events.iter().rev().find_map(|e| {
        let EventKind::BotReply(reply) = &e.kind else {
            return None;
        };
        reply.intent.as_ref().map(|i| i.name.clone())
    });
    let escalated_at_ms = escalated.as_ref().map_or(ticket.updated_at_ms, |e| e.0);
    let language = super::customer::conversation_lang(ticket, events).code();
    QueueItem {
        id: ticket.id,
        status: ticket.status,
        priority: ticket.priority,
        wait_seconds: now.saturating_sub(escalated_at_ms) / 1000,
        intent,
        escalation_reason: escalated.as_ref().map(|e| e.1),
        evidence: escalated.map(|e| e.2),
        last_customer_message,
        assignee: ticket.assignee.clone(),
        language,
        escalated_at_ms,
    }
}

/// The customer's last message in a timeline.
pub(super) fn last_customer_text(events: &[Event]) -> Option<String> {
    events.iter().rev().find_map(|e| {
        let EventKind::CustomerMessage { text } = &e.kind else {
            return None;
        };
        Some(text.clone())
    })
}

impl Switchboard {
    /// The tenant's queue now.
    pub async fn queue(&self, tenant: &str) -> Result<Arc<QueueView>, ServiceError> {
        let queued = self.store.queue(tenant).await?;
        let items = queue_items(&queued, now_ms());
        let online = self.desk.online_agents(tenant).await?.len();
        let open = hours::is_open(&self.desk.escalation.hours, now_ms());
        Ok(Arc::new(QueueView {
            items,
            agents_online: online,
            wait_per_position_seconds: self.desk.wait_per_position(tenant),
            offline: !open || online == 0,
        }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: TicketStatus, assignee: Option<&str>) -> QueueItem {
        QueueItem {
            id: Uuid::new_v4(),
            status,
            priority: 0,
            wait_seconds: 0,
            intent: None,
            escalation_reason: None,
            evidence: None,
            last_customer_message: None,
            assignee: assignee.map(str::to_string),
            language: "en",
            escalated_at_ms: 0,
        }
    }

    #[test]
    fn positions_count_only_waiting_conversations_and_the_wait_shares_out_over_agents() {
        let items = vec![
            item(TicketStatus::Assigned, Some("alice")),
            item(TicketStatus::Escalated, None),
            item(TicketStatus::Escalated, None),
        ];
        let third = items[2].id;
        let queue = QueueView {
            items,
            agents_online: 2,
            wait_per_position_seconds: 120,
            offline: false,
        };
        let status = queue.status_of(third).unwrap();
        assert_eq!((status.position, status.estimated_wait_seconds), (2, 120));
        assert!(
            queue.status_of(queue.items[0].id).is_none(),
            "assigned: not waiting"
        );
        assert_eq!(queue.loads().get("alice"), Some(&1));
    }

    #[test]
    fn the_queue_item_takes_reason_message_and_intent_from_the_timeline() {
        let ticket_events = vec![
            Event {
                seq: 1,
                at_ms: 1_000,
                kind: EventKind::CustomerMessage {
                    text: "我要人工".into(),
                },
            },
            Event {
                seq: 2,
                at_ms: 1_000,
                kind: EventKind::Escalated {
                    reason: EscalationReason::ExplicitRequest,
                    evidence: "intent human_agent".into(),
                },
            },
        ];
        let ticket = crate::tickets::new_ticket("demo", "web", None, BTreeMap::new(), 1_000);
        let item = queue_item(&ticket, &ticket_events, 31_000);
        assert_eq!(item.wait_seconds, 30);
        assert_eq!(item.language, "zh");
        assert_eq!(item.evidence.as_deref(), Some("intent human_agent"));
        assert_eq!(item.last_customer_message.as_deref(), Some("我要人工"));
    }
}
