//! Tickets in the sled tree: appends staged on the writer thread (header, events, indexes and
//! webhook outbox in the same group), reads straight from the tree (on the blocking pool).

use std::sync::Arc;

use uuid::Uuid;

use super::keys;
use super::queue::QueueChange;
use super::writer::Staging;
use crate::store::{Append, Appended, Collection, StoreError, StoreStats, TicketFilter};
use crate::tickets::{Conflict, Event, Ticket, TicketStatus, apply_append, created_event};
use crate::webhooks::{Endpoint, outbox};

pub fn create(staging: &mut Staging, ticket: Ticket, at_ms: u64) -> Result<Appended, StoreError> {
    let created = created_event(&ticket);
    let id = ticket.id;
    staging.insert(keys::ticket(id), serde_json::to_vec(&ticket)?);
    append(staging, Append::events(id, at_ms, vec![created]))
}

pub fn append(staging: &mut Staging, append: Append) -> Result<Appended, StoreError> {
    let bytes = staging
        .get(&keys::ticket(append.id))?
        .ok_or(StoreError::TicketNotFound(append.id))?;
    let before: Ticket = serde_json::from_slice(&bytes)?;
    if let Some(capacity) = &append.capacity {
        let held = staging
            .keys_with_prefix(&keys::assigned_index_of(&before.tenant, &capacity.agent))?
            .len();
        if held >= capacity.max {
            return Err(Conflict::AgentAtCapacity(held).into());
        }
    }
    let mut ticket = before.clone();
    let events = apply_append(&mut ticket, append.events, append.at_ms, append.change)?;
    for event in &events {
        staging.insert(
            keys::event(ticket.id, event.seq),
            serde_json::to_vec(event)?,
        );
    }
    staging.insert(keys::ticket(ticket.id), serde_json::to_vec(&ticket)?);
    reindex(staging, &before, &ticket);
    enqueue_deliveries(staging, &ticket, &events)?;
    Ok(Appended { ticket, events })
}

/// Keeps the queue and assignment indexes, and the in-memory queue, in step with the header.
fn reindex(staging: &mut Staging, before: &Ticket, after: &Ticket) {
    let (old, new) = (index_keys(before), index_keys(after));
    if !old.is_empty() || !new.is_empty() {
        staging.note_queue(QueueChange {
            header: Arc::new(after.clone()),
            queued: !new.is_empty(),
        });
    }
    for key in old {
        staging.remove(key);
    }
    for key in new {
        staging.insert(key, Vec::new());
    }
}

/// The index entries a header has: the queue while escalated or assigned, and its holder's.
pub fn index_keys(ticket: &Ticket) -> Vec<Vec<u8>> {
    match (ticket.status, &ticket.assignee) {
        (TicketStatus::Assigned, Some(agent)) => vec![
            keys::queue_index(&ticket.tenant, ticket.id),
            keys::assigned_index(&ticket.tenant, agent, ticket.id),
        ],
        (TicketStatus::Escalated | TicketStatus::Assigned, _) => {
            vec![keys::queue_index(&ticket.tenant, ticket.id)]
        }
        (TicketStatus::Open | TicketStatus::Resolved, _) => Vec::new(),
    }
}

fn enqueue_deliveries(
    staging: &mut Staging,
    ticket: &Ticket,
    events: &[Event],
) -> Result<(), StoreError> {
    let Some(bytes) = staging.get(&keys::doc(Collection::WebhookEndpoints, &ticket.tenant))? else {
        return Ok(());
    };
    let endpoints: Vec<Endpoint> = serde_json::from_slice(&bytes)?;
    for mut delivery in outbox::deliveries_for(ticket, events, &endpoints)? {
        delivery.id = staging.generate_id()?;
        super::webhooks::save(staging, &delivery)?;
    }
    Ok(())
}

pub fn ticket(tree: &sled::Tree, id: Uuid) -> Result<Ticket, StoreError> {
    let bytes = tree
        .get(keys::ticket(id))?
        .ok_or(StoreError::TicketNotFound(id))?;
    Ok(serde_json::from_slice(&bytes)?)
}

pub fn events_after(
    tree: &sled::Tree,
    id: Uuid,
    after: Option<u64>,
) -> Result<Vec<Event>, StoreError> {
    let start = after.map_or(0, |seq| seq.saturating_add(1));
    tree.range(keys::event(id, start)..=keys::event(id, u64::MAX))
        .values()
        .map(|value| Ok(serde_json::from_slice(&value?)?))
        .collect()
}

pub fn tickets(
    tree: &sled::Tree,
    filter: &TicketFilter,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Ticket>, StoreError> {
    let start = match after {
        Some(id) => keys::after_prefix(&keys::ticket(id)).unwrap_or_default(),
        None => vec![keys::TICKET],
    };
    let mut found = Vec::new();
    for entry in tree.range(start..) {
        let (key, value) = entry?;
        if key.first() != Some(&keys::TICKET) || found.len() >= limit {
            break;
        }
        let ticket: Ticket = serde_json::from_slice(&value)?;
        if filter.keeps(&ticket) {
            found.push(ticket);
        }
    }
    Ok(found)
}

pub fn stats(tree: &sled::Tree) -> Result<StoreStats, StoreError> {
    let count = |prefix: u8| tree.scan_prefix([prefix]).keys().count();
    let mut escalated = 0;
    for value in tree.scan_prefix([keys::TICKET]).values() {
        let ticket: Ticket = serde_json::from_slice(&value?)?;
        if ticket.status == TicketStatus::Escalated {
            escalated += 1;
        }
    }
    Ok(StoreStats {
        tickets: count(keys::TICKET),
        events: count(keys::EVENT),
        pending_deliveries: count(keys::OUTBOX),
        escalated,
    })
}
