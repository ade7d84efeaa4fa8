//! The queue as people see it: the items of a tenant's queue (wait, intent, reason, evidence,
//! last message, language) read from the queued tickets' timelines, highest priority first then
//! longest wait; each waiting customer's position and estimated wait; each agent's load.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use uuid::Uuid;

use crate::tickets::{EscalationReason, Event, EventKind, Ticket, TicketStatus};

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
pub(super) fn queue_items(queued: &[Arc<Ticket>], now: u64) -> Vec<QueueItem> {
    let mut items: Vec<QueueItem> = queued
        .iter()
        .map(|ticket| queue_item(ticket, now))
        .collect();
    items.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.escalated_at_ms.cmp(&b.escalated_at_ms))
    });
    items
}

fn queue_item(ticket: &Ticket, now: u64) -> QueueItem {
    let latest = ticket.latest.as_ref();
    let escalation = latest.and_then(|l| l.escalation.as_ref());
    let escalated_at_ms = escalation.map_or(ticket.updated_at_ms, |e| e.at_ms);
    let last_text = latest.and_then(|l| l.customer_message.as_deref());
    QueueItem {
        id: ticket.id,
        status: ticket.status,
        priority: ticket.priority,
        wait_seconds: now.saturating_sub(escalated_at_ms) / 1000,
        language: super::customer::lang_of(ticket, last_text).code(),
        intent: latest.and_then(|l| l.intent.clone()),
        escalation_reason: escalation.map(|e| e.reason),
        evidence: escalation.map(|e| e.evidence.clone()),
        last_customer_message: last_text.map(str::to_string),
        assignee: ticket.assignee.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

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
    fn the_queue_item_takes_reason_message_and_intent_from_the_header_kept_by_appends() {
        let mut ticket = crate::tickets::new_ticket("demo", "web", None, BTreeMap::new(), 1_000);
        let events = vec![
            EventKind::CustomerMessage {
                text: "我要人工".into(),
            },
            EventKind::Escalated {
                reason: EscalationReason::ExplicitRequest,
                evidence: "intent human_agent".into(),
            },
        ];
        let appended = crate::tickets::apply_append(&mut ticket, events, 1_000, |_| Ok(()));
        assert!(appended.is_ok());
        let item = queue_item(&ticket, 31_000);
        assert_eq!(item.wait_seconds, 30);
        assert_eq!(item.language, "zh");
        assert_eq!(
            item.escalation_reason,
            Some(EscalationReason::ExplicitRequest)
        );
        assert_eq!(item.evidence.as_deref(), Some("intent human_agent"));
        assert_eq!(item.last_customer_message.as_deref(), Some("我要人工"));
    }
}
