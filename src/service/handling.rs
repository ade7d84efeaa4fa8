//! A person handling a conversation: claim, reply, internal notes, hand back to the bot, resolve;
//! the customer's view of the transcript (internal notes never included). Every change is one
//! append, durable when it returns, then published to the live hub. The checks that must still
//! hold when the append lands (not claimed by someone else, under capacity, not resolved) run
//! inside the store's atomic append, so two requests — or two replicas — racing cannot both win.
//!
//! Tenant isolation: every console operation loads the ticket through [`Switchboard::own_ticket`],
//! which answers "not found" for another tenant's conversation, so its existence is not revealed.

use serde::Serialize;
use uuid::Uuid;

use super::queue::QueueStatus;
use super::{Switchboard, parse_id};
use crate::agents::{AgentProfile, Role};
use crate::error::ServiceError;
use crate::store::Append;
use crate::tickets::{Conflict, EscalationReason, Event, EventKind, Ticket, TicketStatus, now_ms};

/// Longest resolution tag, in characters.
const MAX_TAG_CHARS: usize = 32;

/// Bad input to a handling call (the state conflicts are [`Conflict`]s).
#[derive(Debug, thiserror::Error)]
pub enum HandlingError {
    #[error("invalid rating: {0}")]
    InvalidRating(String),
    #[error("invalid tag: {0}")]
    InvalidTag(String),
}

/// What the customer may see of a conversation.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub id: Uuid,
    pub tenant: String,
    pub channel: String,
    pub status: TicketStatus,
    pub escalation_reason: Option<EscalationReason>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// The display name of the person handling it.
    pub assignee: Option<String>,
    pub rating: Option<u8>,
    pub events: Vec<Event>,
    pub queue: Option<QueueStatus>,
    /// Waiting for a person while nobody can take it (outside business hours or no agent
    /// online); false otherwise.
    pub offline: bool,
}

/// Whether the customer may see an event: everything but internal notes.
pub fn customer_visible(kind: &EventKind) -> bool {
    !matches!(kind, EventKind::InternalNote { .. })
}

impl Switchboard {
    /// A conversation of the agent's tenant; any other is "not found".
    pub(super) async fn own_ticket(
        &self,
        agent: &AgentProfile,
        id: &str,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.store.ticket(parse_id(id)?).await?;
        if ticket.tenant != agent.tenant {
            return Err(ServiceError::ConversationNotFound);
        }
        Ok(ticket)
    }

    /// The conversation as the customer sees it: no internal notes, the agent's display name,
    /// and the queue position while waiting.
    pub async fn customer_view(&self, id: &str) -> Result<CustomerView, ServiceError> {
        let ticket = self.store.ticket(parse_id(id)?).await?;
        let mut events = self.store.events_after(ticket.id, None).await?;
        events.retain(|e| customer_visible(&e.kind));
        let queue = match ticket.status {
            TicketStatus::Escalated => self.queue(&ticket.tenant).await?.status_of(ticket.id),
            TicketStatus::Open | TicketStatus::Assigned | TicketStatus::Resolved => None,
        };
        let offline = queue.as_ref().is_some_and(|q| q.offline);
        Ok(CustomerView {
            offline,
            assignee: self.display_name(ticket.assignee.as_deref()).await,
            id: ticket.id,
            tenant: ticket.tenant,
            channel: ticket.channel,
            status: ticket.status,
            escalation_reason: ticket.escalation_reason,
            created_at_ms: ticket.created_at_ms,
            updated_at_ms: ticket.updated_at_ms,
            rating: ticket.rating,
            events,
            queue,
        })
    }

    async fn display_name(&self, username: Option<&str>) -> Option<String> {
        let profile = self.desk.agents.get(username?).await.ok().flatten()?;
        Some(profile.display_name)
    }

    /// The agent takes the conversation (from the queue, or straight from the bot).
    pub async fn claim(&self, agent: &AgentProfile, id: &str) -> Result<Ticket, ServiceError> {
        let ticket = self.own_ticket(agent, id).await?;
        if ticket.status == TicketStatus::Assigned
            && ticket.assignee.as_deref() == Some(&agent.username)
        {
            return Ok(ticket);
        }
        // The wait is recorded when the conversation leaves the queue (not when it is taken
        // straight from the bot).
        let escalated_at = match ticket.status {
            TicketStatus::Escalated => {
                escalated_at(&self.store.events_after(ticket.id, None).await?)
            }
            TicketStatus::Open | TicketStatus::Assigned | TicketStatus::Resolved => None,
        };
        let ticket = self.assign(ticket.id, agent, escalated_at).await?;
        self.publish_queue(&agent.tenant).await;
        Ok(ticket)
    }

    /// Gives the conversation to `agent` if it is still open or waiting and the agent is under
    /// capacity (both checked inside the store's append); records the wait when it left the queue.
    pub(super) async fn assign(
        &self,
        id: Uuid,
        agent: &AgentProfile,
        escalated_at_ms: Option<u64>,
    ) -> Result<Ticket, ServiceError> {
        let assigned = EventKind::Assigned {
            agent: agent.display_name.clone(),
        };
        let username = agent.username.clone();
        let append = Append::events(id, now_ms(), vec![assigned])
            .with_capacity(&agent.username, self.desk.queue.agent_capacity)
            .with_change(move |t| {
                match t.status {
                    TicketStatus::Resolved => return Err(Conflict::ConversationResolved),
                    TicketStatus::Assigned => return Err(Conflict::AlreadyClaimed),
                    TicketStatus::Open | TicketStatus::Escalated => {}
                }
                t.status = TicketStatus::Assigned;
                t.assignee = Some(username);
                Ok(())
            });
        let ticket = self.append_and_publish(append).await?;
        if let Some(at) = escalated_at_ms {
            let waited = now_ms().saturating_sub(at) / 1000;
            self.desk.record_pickup(&agent.tenant, waited);
        }
        Ok(ticket)
    }

    pub async fn agent_reply(
        &self,
        agent: &AgentProfile,
        id: &str,
        text: &str,
    ) -> Result<Event, ServiceError> {
        let text = self.validate(text)?.to_string();
        let ticket = self.own_ticket(agent, id).await?;
        let message = EventKind::AgentMessage {
            agent: agent.display_name.clone(),
            text,
        };
        let holder = holder_check(agent);
        let append =
            Append::events(ticket.id, now_ms(), vec![message]).with_change(move |t| holder(t));
        self.append_one(append).await
    }

    pub async fn add_note(
        &self,
        agent: &AgentProfile,
        id: &str,
        text: &str,
    ) -> Result<Event, ServiceError> {
        let text = self.validate(text)?.to_string();
        let ticket = self.own_ticket(agent, id).await?;
        let note = EventKind::InternalNote {
            agent: agent.display_name.clone(),
            text,
        };
        self.append_one(Append::events(ticket.id, now_ms(), vec![note]))
            .await
    }

    async fn append_one(&self, append: Append) -> Result<Event, ServiceError> {
        let appended = self.store.append(append).await?;
        let event = appended.events.last().cloned();
        for event in appended.events {
            self.publish_event(&appended.ticket, event);
        }
        event.ok_or_else(|| ServiceError::Task("an append stored no event".into()))
    }

    /// The bot answers again; the agent's slot is free for the next conversation.
    pub async fn hand_back(&self, agent: &AgentProfile, id: &str) -> Result<Ticket, ServiceError> {
        let ticket = self.own_ticket(agent, id).await?;
        let handed = EventKind::HandedBack {
            agent: agent.display_name.clone(),
        };
        let holder = holder_check(agent);
        let append = Append::events(ticket.id, now_ms(), vec![handed]).with_change(move |t| {
            if t.status != TicketStatus::Escalated {
                holder(t)?;
            }
            t.status = TicketStatus::Open;
            t.assignee = None;
            t.failed_turns = 0;
            Ok(())
        });
        let ticket = self.append_and_publish(append).await?;
        self.after_slot_freed(&agent.tenant).await;
        Ok(ticket)
    }

    pub async fn resolve(
        &self,
        agent: &AgentProfile,
        id: &str,
        tag: Option<&str>,
    ) -> Result<Ticket, ServiceError> {
        let tag = valid_tag(tag)?;
        let ticket = self.own_ticket(agent, id).await?;
        let holder = holder_check(agent);
        let check = move |t: &Ticket| match t.status {
            TicketStatus::Resolved => Err(Conflict::ConversationResolved),
            TicketStatus::Assigned => holder(t),
            TicketStatus::Open | TicketStatus::Escalated => Ok(()),
        };
        let ticket = self
            .close(ticket.id, &agent.display_name, tag, check)
            .await?;
        self.after_slot_freed(&agent.tenant).await;
        Ok(ticket)
    }

    /// Resolves: the event, the status, the tag on the header, if `check` passes on the ticket
    /// as it is when the append lands.
    pub(super) async fn close(
        &self,
        id: Uuid,
        by: &str,
        tag: Option<String>,
        check: impl FnOnce(&Ticket) -> Result<(), Conflict> + Send + 'static,
    ) -> Result<Ticket, ServiceError> {
        let resolved = EventKind::Resolved {
            by: by.to_string(),
            tag: tag.clone(),
        };
        let append = Append::events(id, now_ms(), vec![resolved]).with_change(move |t| {
            check(t)?;
            t.status = TicketStatus::Resolved;
            if let Some(tag) = tag
                && !t.tags.contains(&tag)
            {
                t.tags.push(tag);
            }
            Ok(())
        });
        self.append_and_publish(append).await
    }

    async fn after_slot_freed(&self, tenant: &str) {
        if let Err(error) = self.auto_assign(tenant).await {
            tracing::warn!(%error, tenant, "auto-assignment failed");
        }
        self.publish_queue(tenant).await;
    }
}

/// Only the assignee (or an admin of the tenant) acts on an assigned conversation; checked on
/// the ticket as it is when the append lands.
fn holder_check(
    agent: &AgentProfile,
) -> impl FnOnce(&Ticket) -> Result<(), Conflict> + Send + use<> {
    let (username, admin) = (agent.username.clone(), agent.role == Role::Admin);
    move |t: &Ticket| {
        let holds = t.status == TicketStatus::Assigned && t.assignee.as_deref() == Some(&username);
        let admin_override = admin && t.status != TicketStatus::Resolved;
        if holds || admin_override {
            return Ok(());
        }
        Err(Conflict::NotAssignedToYou)
    }
}

/// When the conversation last joined the queue (its latest `escalated` event).
pub(super) fn escalated_at(events: &[Event]) -> Option<u64> {
    events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EventKind::Escalated { .. }))
        .map(|e| e.at_ms)
}

fn valid_tag(tag: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(tag) = tag.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(
            HandlingError::InvalidTag(format!("at most {MAX_TAG_CHARS} characters")).into(),
        );
    }
    Ok(Some(tag.to_string()))
}
