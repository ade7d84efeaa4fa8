//! Tickets: every conversation is a ticket, a header plus an append-only timeline of events.
//!
//! This module owns the model and the rules every storage engine applies the same way:
//! [`apply_append`] numbers new events after the header's `event_count` and runs the append's
//! check on the header (it may refuse with a [`Conflict`]). Where tickets are kept is the
//! `store` module's business.

mod model;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;

pub use model::{
    BotAction, BotReply, EscalationReason, Event, EventKind, Latest, LatestEscalation,
    ScoredIntent, Source, Ticket, TicketStatus,
};

/// A change refused because of the ticket's state when it was about to be written. Decided
/// inside the store's atomic section, so two requests (or two replicas) racing cannot both win.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("the conversation is already with a person")]
    AlreadyWithAgent,
    #[error("the conversation is resolved")]
    ConversationResolved,
    #[error("another agent has claimed this conversation")]
    AlreadyClaimed,
    #[error("you already hold {0} conversations, the most allowed")]
    AgentAtCapacity(usize),
    #[error("claim the conversation before replying to it")]
    NotAssignedToYou,
    #[error("the conversation can be rated once it is resolved")]
    NotResolved,
    #[error("the conversation is already rated")]
    AlreadyRated,
}

pub fn now_ms() -> u64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
}

/// A fresh header (no events yet: the store appends `created`).
pub fn new_ticket(
    tenant: &str,
    channel: &str,
    customer_id: Option<String>,
    metadata: BTreeMap<String, String>,
    at_ms: u64,
) -> Ticket {
    Ticket {
        id: Uuid::new_v4(),
        tenant: tenant.to_string(),
        channel: channel.to_string(),
        status: TicketStatus::Open,
        created_at_ms: at_ms,
        updated_at_ms: at_ms,
        failed_turns: 0,
        annoyed: false,
        escalation_reason: None,
        event_count: 0,
        assignee: None,
        priority: 0,
        tags: Vec::new(),
        rating: None,
        customer_id,
        metadata,
        latest: Some(Latest::default()),
    }
}

/// The first event of every timeline.
pub fn created_event(ticket: &Ticket) -> EventKind {
    EventKind::Created {
        channel: ticket.channel.clone(),
    }
}

/// Applies an append to `ticket`: the check first (nothing changes if it refuses), then the
/// events numbered from `event_count`, stamped `at_ms`.
pub fn apply_append(
    ticket: &mut Ticket,
    kinds: Vec<EventKind>,
    at_ms: u64,
    change: impl FnOnce(&mut Ticket) -> Result<(), Conflict>,
) -> Result<Vec<Event>, Conflict> {
    let mut changed = ticket.clone();
    change(&mut changed)?;
    let mut events = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let event = Event {
            seq: changed.event_count,
            at_ms,
            kind,
        };
        if let Some(latest) = &mut changed.latest {
            latest.observe(&event);
        }
        events.push(event);
        changed.event_count += 1;
    }
    changed.updated_at_ms = at_ms;
    *ticket = changed;
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_append_numbers_events_after_the_count_and_applies_the_change() {
        let mut ticket = new_ticket("demo", "web", None, BTreeMap::new(), 5);
        ticket.event_count = 1;
        let text = EventKind::CustomerMessage {
            text: "hello".into(),
        };
        let events = apply_append(&mut ticket, vec![text.clone()], 9, |t| {
            t.failed_turns = 1;
            Ok(())
        })
        .unwrap();
        assert_eq!((events[0].seq, events[0].at_ms), (1, 9));
        assert_eq!(ticket.event_count, 2);
        assert_eq!(ticket.failed_turns, 1);
        assert_eq!(ticket.updated_at_ms, 9);
    }

    #[test]
    fn a_refused_append_changes_nothing() {
        let mut ticket = new_ticket("demo", "web", None, BTreeMap::new(), 5);
        let before = ticket.clone();
        let refused = apply_append(&mut ticket, vec![], 9, |t| {
            t.status = TicketStatus::Assigned;
            Err(Conflict::AlreadyClaimed)
        });
        assert_eq!(refused, Err(Conflict::AlreadyClaimed));
        assert_eq!(ticket, before);
    }

    #[test]
    fn appends_keep_the_same_latest_facts_as_reading_the_whole_timeline() {
        let mut ticket = new_ticket("demo", "web", None, BTreeMap::new(), 5);
        let said = |text: &str| EventKind::CustomerMessage { text: text.into() };
        let mut timeline = Vec::new();
        for (at_ms, kind) in [
            (6, said("roaming?")),
            (7, said("I asked three times already")),
            (
                8,
                EventKind::Escalated {
                    reason: EscalationReason::NegativeSentiment,
                    evidence: "repetition".into(),
                },
            ),
            (9, said("hello?")),
        ] {
            timeline.extend(apply_append(&mut ticket, vec![kind], at_ms, |_| Ok(())).unwrap());
        }
        let latest = ticket.latest.clone().unwrap();
        assert_eq!(latest, Latest::of(&timeline));
        assert_eq!(latest.customer_message.as_deref(), Some("hello?"));
        assert_eq!(latest.escalation.map(|e| e.at_ms), Some(8));
    }
}
