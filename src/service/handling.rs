//! A person handling a conversation: claim, reply, internal notes, hand back to the bot, resolve;
//! the customer's side of it: the handoff button, ending the chat, the rating, and the customer's
//! view of the transcript (internal notes never included). Every change is one append, flushed,
//! then published to the live hub.
//!
//! Tenant isolation: every console operation loads the ticket through [`Switchboard::own_ticket`],
//! which answers "not found" for another tenant's conversation, so its existence is not revealed.

use serde::Serialize;
use uuid::Uuid;

use super::desk::QueueStatus;
use super::{Switchboard, parse_id};
use crate::agents::{AgentProfile, Role};
use crate::error::ServiceError;
use crate::tickets::{EscalationReason, Event, EventKind, Ticket, TicketStatus, now_ms};

/// Longest resolution tag, in characters.
const MAX_TAG_CHARS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum HandlingError {
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
    #[error("invalid rating: {0}")]
    InvalidRating(String),
    #[error("the conversation can be rated once it is resolved")]
    NotResolved,
    #[error("the conversation is already rated")]
    AlreadyRated,
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
    pub(super) fn own_ticket(
        &self,
        agent: &AgentProfile,
        id: &str,
    ) -> Result<Ticket, ServiceError> {
        let ticket = self.store.get(parse_id(id)?)?;
        if ticket.tenant != agent.tenant {
            return Err(ServiceError::ConversationNotFound);
        }
        Ok(ticket)
    }

    /// The conversation as the customer sees it: no internal notes, the agent's display name,
    /// and the queue position while waiting.
    pub async fn customer_view(&self, id: &str) -> Result<CustomerView, ServiceError> {
        let ticket = self.store.get(parse_id(id)?)?;
        let mut events = self.store.events(ticket.id)?;
        events.retain(|e| customer_visible(&e.kind));
        let queue = match ticket.status {
            TicketStatus::Escalated => self.queue(&ticket.tenant).await?.status_of(ticket.id),
            TicketStatus::Open | TicketStatus::Assigned | TicketStatus::Resolved => None,
        };
        let offline =
            ticket.status == TicketStatus::Escalated && !self.desk.available(&ticket.tenant);
        Ok(CustomerView {
            offline,
            assignee: self.display_name(ticket.assignee.as_deref()),
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

    fn display_name(&self, username: Option<&str>) -> Option<String> {
        let profile = self.desk.agents.get(username?).ok().flatten()?;
        Some(profile.display_name)
    }

    /// The agent takes the conversation (from the queue, or straight from the bot).
    pub async fn claim(&self, agent: &AgentProfile, id: &str) -> Result<Ticket, ServiceError> {
        let guard = self.desk.handling.lock().await;
        let ticket = self.own_ticket(agent, id)?;
        match ticket.status {
            TicketStatus::Resolved => return Err(HandlingError::ConversationResolved.into()),
            TicketStatus::Assigned if ticket.assignee.as_deref() == Some(&agent.username) => {
                return Ok(ticket);
            }
            TicketStatus::Assigned => return Err(HandlingError::AlreadyClaimed.into()),
            TicketStatus::Open | TicketStatus::Escalated => {}
        }
        let queue = self.queue(&agent.tenant).await?;
        let load = queue.loads().get(&agent.username).copied().unwrap_or(0);
        if load >= self.desk.queue.agent_capacity {
            return Err(HandlingError::AgentAtCapacity(load).into());
        }
        let escalated_at = queue
            .items
            .iter()
            .find(|item| item.id == ticket.id && item.status == TicketStatus::Escalated)
            .map(|item| item.escalated_at_ms);
        let ticket = self.assign_locked(ticket.id, agent, escalated_at).await?;
        drop(guard);
        self.publish_queue(&agent.tenant).await;
        Ok(ticket)
    }

    /// Assigns with the handling lock held; records the pickup time when it left the queue.
    pub(super) async fn assign_locked(
        &self,
        id: Uuid,
        agent: &AgentProfile,
        escalated_at_ms: Option<u64>,
    ) -> Result<Ticket, ServiceError> {
        let assigned = EventKind::Assigned {
            agent: agent.display_name.clone(),
        };
        let username = agent.username.clone();
        let ticket = self.append_and_publish(id, vec![assigned], |t| {
            t.status = TicketStatus::Assigned;
            t.assignee = Some(username.clone());
        })?;
        self.store.flush().await?;
        if let Some(at) = escalated_at_ms {
            let waited = now_ms().saturating_sub(at) / 1000;
            self.desk.record_pickup(&agent.tenant, waited);
        }
        Ok(ticket)
    }

    /// Appends, then publishes the new events to the live hub. The caller flushes before it
    /// acknowledges; subscribers only read what is committed to the tree.
    pub(super) fn append_and_publish(
        &self,
        id: Uuid,
        kinds: Vec<EventKind>,
        update: impl Fn(&mut Ticket),
    ) -> Result<Ticket, ServiceError> {
        let count = kinds.len() as u64;
        let ticket = self.store.append(id, kinds.clone(), update)?;
        let first = ticket.event_count - count;
        for (offset, kind) in kinds.into_iter().enumerate() {
            if let EventKind::Escalated { reason, .. } = &kind {
                self.metrics.record_escalation(*reason);
            }
            let event = Event {
                seq: first + offset as u64,
                at_ms: ticket.updated_at_ms,
                kind,
            };
            self.desk.hub.publish(crate::live::LiveMessage::Event {
                tenant: ticket.tenant.clone(),
                conversation_id: id,
                event,
            });
        }
        Ok(ticket)
    }

    /// Only the assignee (or an admin of the tenant) acts on an assigned conversation.
    fn check_holder(agent: &AgentProfile, ticket: &Ticket) -> Result<(), ServiceError> {
        let holds = ticket.status == TicketStatus::Assigned
            && ticket.assignee.as_deref() == Some(&agent.username);
        let admin_override = agent.role == Role::Admin && ticket.status != TicketStatus::Resolved;
        if holds || admin_override {
            return Ok(());
        }
        Err(HandlingError::NotAssignedToYou.into())
    }

    pub async fn agent_reply(
        &self,
        agent: &AgentProfile,
        id: &str,
        text: &str,
    ) -> Result<Event, ServiceError> {
        let text = self.validate(text)?.to_string();
        let ticket = self.own_ticket(agent, id)?;
        Self::check_holder(agent, &ticket)?;
        let message = EventKind::AgentMessage {
            agent: agent.display_name.clone(),
            text,
        };
        self.append_one(ticket.id, message).await
    }

    pub async fn add_note(
        &self,
        agent: &AgentProfile,
        id: &str,
        text: &str,
    ) -> Result<Event, ServiceError> {
        let text = self.validate(text)?.to_string();
        let ticket = self.own_ticket(agent, id)?;
        let note = EventKind::InternalNote {
            agent: agent.display_name.clone(),
            text,
        };
        self.append_one(ticket.id, note).await
    }

    async fn append_one(&self, id: Uuid, kind: EventKind) -> Result<Event, ServiceError> {
        let ticket = self.append_and_publish(id, vec![kind.clone()], |_| {})?;
        self.store.flush().await?;
        Ok(Event {
            seq: ticket.event_count - 1,
            at_ms: ticket.updated_at_ms,
            kind,
        })
    }

    /// The bot answers again; the agent's slot is free for the next conversation.
    pub async fn hand_back(&self, agent: &AgentProfile, id: &str) -> Result<Ticket, ServiceError> {
        let guard = self.desk.handling.lock().await;
        let ticket = self.own_ticket(agent, id)?;
        if ticket.status != TicketStatus::Escalated {
            Self::check_holder(agent, &ticket)?;
        }
        let handed = EventKind::HandedBack {
            agent: agent.display_name.clone(),
        };
        let ticket = self.append_and_publish(ticket.id, vec![handed], |t| {
            t.status = TicketStatus::Open;
            t.assignee = None;
            t.failed_turns = 0;
        })?;
        self.store.flush().await?;
        drop(guard);
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
        let guard = self.desk.handling.lock().await;
        let ticket = self.own_ticket(agent, id)?;
        match ticket.status {
            TicketStatus::Resolved => return Err(HandlingError::ConversationResolved.into()),
            TicketStatus::Assigned => Self::check_holder(agent, &ticket)?,
            TicketStatus::Open | TicketStatus::Escalated => {}
        }
        let ticket = self.close(ticket.id, &agent.display_name, tag).await?;
        drop(guard);
        self.after_slot_freed(&agent.tenant).await;
        Ok(ticket)
    }

    /// Resolves with the handling lock held: the event, the status, the tag on the header.
    pub(super) async fn close(
        &self,
        id: Uuid,
        by: &str,
        tag: Option<String>,
    ) -> Result<Ticket, ServiceError> {
        let resolved = EventKind::Resolved {
            by: by.to_string(),
            tag: tag.clone(),
        };
        let ticket = self.append_and_publish(id, vec![resolved], |t| {
            t.status = TicketStatus::Resolved;
            if let Some(tag) = &tag
                && !t.tags.contains(tag)
            {
                t.tags.push(tag.clone());
            }
        })?;
        self.store.flush().await?;
        Ok(ticket)
    }

    async fn after_slot_freed(&self, tenant: &str) {
        if let Err(error) = self.auto_assign(tenant).await {
            tracing::warn!(%error, tenant, "auto-assignment failed");
        }
        self.publish_queue(tenant).await;
    }
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
